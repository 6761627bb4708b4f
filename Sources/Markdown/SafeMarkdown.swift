import Foundation

/// Markdown that users write (comments, overviews) turned into HTML that can be put in a
/// page as is: every character of the source is escaped, and only the markup this renderer
/// emits itself reaches the output, so raw HTML, scripts and event attributes never pass.
/// Links keep only `http` and `https` targets (`javascript:`, `data:` and relative ones are
/// shown as their text) and carry `rel="nofollow noopener noreferrer"`.
///
/// The subset is what comments and READMEs use: paragraphs, headings, emphasis, code spans
/// and fenced code, lists, block quotes, rules and links. Every scan is bounded, so a
/// hostile input costs time linear in its length.
public struct SafeMarkdown: Sendable {
    /// The widest span an inline construct (emphasis, code, link) may cover, in characters:
    /// what bounds the work per character.
    public static let inlineReach = 1_000
    /// How deep emphasis and links may nest; deeper markers are shown as text.
    public static let nestingLimit = 8

    public init() {}

    /// The HTML for `source`.
    public func html(_ source: String) -> String {
        var out = ""
        var paragraph = [String]()
        var list: (ordered: Bool, items: [String])?
        var quote = [String]()
        var fence: [String]?

        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            out += "<p>" + inline(paragraph.joined(separator: "\n")) + "</p>\n"
            paragraph = []
        }
        func flushList() {
            guard let current = list else { return }
            let tag = current.ordered ? "ol" : "ul"
            out += "<\(tag)>" + current.items.map { "<li>" + inline($0) + "</li>" }.joined() + "</\(tag)>\n"
            list = nil
        }
        func flushQuote() {
            guard !quote.isEmpty else { return }
            out += "<blockquote><p>" + inline(quote.joined(separator: "\n")) + "</p></blockquote>\n"
            quote = []
        }
        func flushAll() { flushParagraph(); flushList(); flushQuote() }

        for rawLine in source.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var lines = fence {
                if trimmed.hasPrefix("```") {
                    out += "<pre><code>" + Self.escape(lines.joined(separator: "\n")) + "</code></pre>\n"
                    fence = nil
                } else {
                    lines.append(line)
                    fence = lines
                }
                continue
            }
            if trimmed.hasPrefix("```") {
                flushAll()
                fence = []
                continue
            }
            if trimmed.isEmpty {
                flushAll()
                continue
            }
            if let level = Self.headingLevel(trimmed) {
                flushAll()
                let text = trimmed.dropFirst(level).trimmingCharacters(in: .whitespaces)
                out += "<h\(level)>" + inline(text) + "</h\(level)>\n"
                continue
            }
            if trimmed == "---" || trimmed == "***" || trimmed == "___" {
                flushAll()
                out += "<hr>\n"
                continue
            }
            if trimmed.hasPrefix(">") {
                flushParagraph(); flushList()
                quote.append(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            if let (ordered, item) = Self.listItem(trimmed) {
                flushParagraph(); flushQuote()
                if list?.ordered != ordered { flushList() }
                list = (ordered, (list?.items ?? []) + [item])
                continue
            }
            if list != nil, line.hasPrefix("  "), var current = list, !current.items.isEmpty {
                // A continuation line of the last item.
                current.items[current.items.count - 1] += "\n" + trimmed
                list = current
                continue
            }
            flushList(); flushQuote()
            paragraph.append(trimmed)
        }
        if let lines = fence { out += "<pre><code>" + Self.escape(lines.joined(separator: "\n")) + "</code></pre>\n" }
        flushAll()
        return out
    }

    /// Inline markup of one block's text.
    func inline(_ text: String) -> String {
        let characters = Array(text)
        var out = ""
        render(characters, characters.startIndex, characters.endIndex, depth: 0, into: &out)
        return out
    }

    private func render(_ c: [Character], _ start: Int, _ end: Int, depth: Int, into out: inout String) {
        let nests = depth < Self.nestingLimit
        var i = start
        while i < end {
            let character = c[i]
            if character == "\\", i + 1 < end, "\\`*_[]()#>-!".contains(c[i + 1]) {
                out += Self.escape(String(c[i + 1]))
                i += 2
                continue
            }
            if character == "`", let close = find("`", in: c, from: i + 1, end: end) {
                out += "<code>" + Self.escape(String(c[(i + 1)..<close])) + "</code>"
                i = close + 1
                continue
            }
            if nests, character == "[", let link = link(c, at: i, end: end) {
                if let url = link.url {
                    out += "<a href=\"" + Self.escape(url) + "\" rel=\"nofollow noopener noreferrer\">"
                    render(c, link.text.lowerBound, link.text.upperBound, depth: depth + 1, into: &out)
                    out += "</a>"
                } else {
                    render(c, link.text.lowerBound, link.text.upperBound, depth: depth + 1, into: &out)
                }
                i = link.next
                continue
            }
            if nests, character == "*" || character == "_" {
                let double = i + 1 < end && c[i + 1] == character
                let marker = double ? [character, character] : [character]
                let from = i + marker.count
                if from < end, !c[from].isWhitespace, let close = find(marker, in: c, from: from, end: end), close > from {
                    let tag = double ? "strong" : "em"
                    out += "<\(tag)>"
                    render(c, from, close, depth: depth + 1, into: &out)
                    out += "</\(tag)>"
                    i = close + marker.count
                    continue
                }
            }
            if character == "\n" {
                out += "<br>\n"
            } else {
                out += Self.escape(String(character))
            }
            i += 1
        }
    }

    /// `[text](url)` at `start`: the text's range, the URL when it is one a page may link
    /// to, and where the construct ends.
    private func link(_ c: [Character], at start: Int, end: Int) -> (text: Range<Int>, url: String?, next: Int)? {
        guard let closeText = find("]", in: c, from: start + 1, end: end), closeText + 1 < end, c[closeText + 1] == "(" else { return nil }
        // The URL ends at the `)` that balances its `(`: `https://x/wiki/A_(b)` is one link.
        var depth = 0
        var closeURL: Int?
        var i = closeText + 2
        while i < min(end, closeText + 2 + Self.inlineReach) {
            if c[i] == "(" { depth += 1 }
            if c[i] == ")" {
                if depth == 0 { closeURL = i; break }
                depth -= 1
            }
            i += 1
        }
        guard let closeURL else { return nil }
        let target = String(c[(closeText + 2)..<closeURL]).trimmingCharacters(in: .whitespaces)
        return (start + 1..<closeText, Self.safeURL(target), closeURL + 1)
    }

    private func find(_ marker: Character, in c: [Character], from: Int, end: Int) -> Int? {
        find([marker], in: c, from: from, end: end)
    }

    /// The first `marker` in `from..<end`, looking no further than ``inlineReach``.
    private func find(_ marker: [Character], in c: [Character], from: Int, end: Int) -> Int? {
        let limit = min(end, from + Self.inlineReach)
        var i = from
        while i + marker.count <= limit {
            if c[i] == marker[0], marker.count == 1 || c[i + 1] == marker[1] { return i }
            i += 1
        }
        return nil
    }

    /// `target` when it is an absolute `http` or `https` URL with a host and nothing a
    /// browser could read otherwise (spaces, quotes, control characters).
    static func safeURL(_ target: String) -> String? {
        guard !target.isEmpty, target.count <= 2_000,
              !target.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || "\"'<>`\\".unicodeScalars.contains($0) }),
              let url = URL(string: target), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return nil }
        return target
    }

    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    static func listItem(_ line: String) -> (ordered: Bool, text: String)? {
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            return (false, String(line.dropFirst(2)))
        }
        let digits = line.prefix(while: \.isNumber)
        if !digits.isEmpty, digits.count <= 9, line.dropFirst(digits.count).hasPrefix(". ") {
            return (true, String(line.dropFirst(digits.count + 2)))
        }
        return nil
    }

    /// Text as HTML text or attribute value: nothing in it can open markup or end a quote.
    ///
    /// Scalar by scalar, never by `Character`: a character such as U+0600 (a "prepend"
    /// mark) joins the `<` after it into one grapheme cluster, which equals no `<`, and the
    /// bracket went out unescaped for the browser, which reads scalars.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
