/// Just enough XML for S3's answers: the text of named elements and the blocks of repeated
/// ones. S3 responses are flat, machine-written documents with no attributes that matter,
/// no CDATA and no comments, so a scanner is smaller and safer than pulling in a parser
/// (Foundation's needs libxml2 at run time).
public struct S3XML: Sendable {
    public let text: Substring

    public init(_ text: String) { self.text = Substring(text) }
    init(_ text: Substring) { self.text = text }

    /// The decoded text of the first `<name>` element, or nil.
    public func value(_ name: String) -> String? {
        blocks(name).first.map { Self.decode($0.text) }
    }

    /// Every `<name>…</name>` element, in order, for reading repeated records.
    ///
    /// Scanned as UTF-8 bytes, not as characters: a key may begin with a combining mark,
    /// which as a character would fuse with the `>` before it and hide the tag's end.
    public func blocks(_ name: String) -> [S3XML] {
        let open = Array(("<" + name).utf8)
        let close = Array(("</" + name + ">").utf8)
        var out = [S3XML]()
        var rest = text[...]
        while let start = Self.find(open, in: rest.utf8) {
            let afterName = rest[start.upperBound...]
            // `<Key>` but not `<KeyMarker>`: the name must end at `>`, `/` or a space.
            guard let next = afterName.utf8.first else { break }
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/") else {
                rest = afterName
                continue
            }
            guard let tagEnd = afterName.utf8.firstIndex(of: UInt8(ascii: ">")) else { break }
            let afterTag = afterName.utf8.index(after: tagEnd)
            if tagEnd > afterName.startIndex, afterName.utf8[afterName.utf8.index(before: tagEnd)] == UInt8(ascii: "/") {
                out.append(S3XML(afterName[tagEnd..<tagEnd]))
                rest = afterName[afterTag...]
                continue
            }
            let body = afterName[afterTag...]
            guard let end = Self.find(close, in: body.utf8) else { break }
            out.append(S3XML(body[..<end.lowerBound]))
            rest = body[end.upperBound...]
        }
        return out
    }

    /// Where `needle` first occurs in `bytes` (nil for an empty needle, which no element
    /// name is): a scan for its first byte, then a compare.
    /// Both are inlined and specialised here, where `firstRange(of:)` of the string
    /// processing library runs generic code whose type-metadata lookups took most of a
    /// tag list's CPU on S3 (a listing holds a few dozen elements, each a scan).
    static func find(_ needle: [UInt8], in bytes: Substring.UTF8View) -> Range<String.Index>? {
        guard let first = needle.first else { return nil }
        var from = bytes.startIndex
        while let at = bytes[from...].firstIndex(of: first) {
            if bytes[at...].starts(with: needle) {
                return at..<bytes.index(at, offsetBy: needle.count)
            }
            from = bytes.index(after: at)
        }
        return nil
    }

    /// Undoes XML's five entities and numeric references, scalar by scalar (an `&` followed
    /// by a combining mark is still an `&`).
    static func decode(_ raw: Substring) -> String {
        guard raw.utf8.contains(UInt8(ascii: "&")) else { return String(raw) }
        var out = String.UnicodeScalarView()
        var rest = raw
        while let amp = rest.unicodeScalars.firstIndex(of: "&") {
            out.append(contentsOf: rest.unicodeScalars[..<amp])
            guard let semi = rest.unicodeScalars[amp...].firstIndex(of: ";") else {
                out.append(contentsOf: rest.unicodeScalars[amp...])
                return String(out)
            }
            let entity = String(rest.unicodeScalars[rest.unicodeScalars.index(after: amp)..<semi])
            let number: UInt32? = entity.hasPrefix("#x")
                ? UInt32(entity.dropFirst(2), radix: 16)
                : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
            if let named = Self.entities.first(where: { $0.name == entity }) {
                out.append(named.scalar)
            } else if let number, let scalar = Unicode.Scalar(number) {
                out.append(scalar)
            } else {
                out.append(contentsOf: rest.unicodeScalars[amp...semi])
            }
            rest = rest[rest.unicodeScalars.index(after: semi)...]
        }
        out.append(contentsOf: rest.unicodeScalars)
        return String(out)
    }

    /// Escapes text for an element body (object keys in a delete request), scalar by scalar.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let named = Self.entities.first(where: { $0.scalar == scalar }) {
                out.append(contentsOf: ("&" + named.name + ";").unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// XML's five named entities, for both directions.
    static let entities: [(name: String, scalar: Unicode.Scalar)] = [
        ("amp", "&"), ("lt", "<"), ("gt", ">"), ("quot", "\""), ("apos", "'"),
    ]
}
