import FuzzSupport
import Markdown

/// What any signed-in user can put in a page: a comment or a repository overview, rendered
/// by `SafeMarkdown`. Besides "no crash, no hang", the output must be HTML a browser reads
/// as only the renderer's own markup: every `<` and `>` belongs to an allowed tag, a link's
/// only attributes are an absolute `http`/`https` target and its `rel`, and every element
/// opened is closed in order. A stored cross-site script is what this guards against.
@main
enum MarkdownFuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
        return 0
    }

    /// Elements the renderer writes that have content, and those that have none.
    static let containers: Set<String> = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a"]
    static let voids: Set<String> = ["br", "hr"]
    static let linkTail = "\" rel=\"nofollow noopener noreferrer\""

    static func check(_ source: String) {
        let html = SafeMarkdown().html(source)
        // The browser reads scalars; so does this check.
        let scalars = Array(html.unicodeScalars)
        var open = [String]()
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            precondition(scalar != ">", "a '>' outside any tag at scalar \(i)")
            guard scalar == "<" else {
                i += 1
                continue
            }
            guard let end = scalars[(i + 1)...].firstIndex(of: ">") else { preconditionFailure("an unclosed '<' at scalar \(i)") }
            let tag = String(String.UnicodeScalarView(scalars[(i + 1)..<end]))
            if tag.hasPrefix("/") {
                let name = String(tag.dropFirst())
                precondition(open.last == name, "</\(name)> closes \(open.last ?? "nothing")")
                open.removeLast()
            } else if voids.contains(tag) {
                // Nothing to close.
            } else if containers.contains(tag), tag != "a" {
                open.append(tag)
            } else {
                precondition(isLink(tag), "a tag the renderer never writes: <\(tag)>")
                open.append("a")
            }
            i = end + 1
        }
        precondition(open.isEmpty, "left open: \(open)")
    }

    /// `a href="…" rel="…"` with an absolute http(s) target holding no quote or bracket.
    static func isLink(_ tag: String) -> Bool {
        guard tag.hasPrefix("a href=\""), tag.hasSuffix(linkTail) else { return false }
        let target = tag.dropFirst("a href=\"".count).dropLast(linkTail.count)
        let lowered = target.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else { return false }
        return !target.unicodeScalars.contains { "\"<>'`".unicodeScalars.contains($0) || $0.value < 0x21 }
    }
}
