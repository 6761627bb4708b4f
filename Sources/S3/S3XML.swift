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
    public func blocks(_ name: String) -> [S3XML] {
        let open = "<" + name
        let close = "</" + name + ">"
        var out = [S3XML]()
        var rest = text[...]
        while let start = rest.range(of: open) {
            let afterName = rest[start.upperBound...]
            // `<Key>` but not `<KeyMarker>`: the name must end at `>`, `/` or a space.
            guard let next = afterName.first else { break }
            guard next == ">" || next == " " || next == "/" else {
                rest = afterName
                continue
            }
            guard let tagEnd = afterName.firstIndex(of: ">") else { break }
            if tagEnd > afterName.startIndex, afterName[afterName.index(before: tagEnd)] == "/" {
                out.append(S3XML(afterName[tagEnd..<tagEnd]))
                rest = afterName[afterName.index(after: tagEnd)...]
                continue
            }
            let body = afterName[afterName.index(after: tagEnd)...]
            guard let end = body.range(of: close) else { break }
            out.append(S3XML(body[..<end.lowerBound]))
            rest = body[end.upperBound...]
        }
        return out
    }

    /// Undoes XML's five entities and numeric references.
    static func decode(_ raw: Substring) -> String {
        guard raw.contains("&") else { return String(raw) }
        var out = ""
        var rest = raw
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semi]
            let number: UInt32? = entity.hasPrefix("#x")
                ? UInt32(entity.dropFirst(2), radix: 16)
                : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
            if let named = Self.entities.first(where: { $0.name == entity }) {
                out.append(named.character)
            } else if let number, let scalar = Unicode.Scalar(number) {
                out.unicodeScalars.append(scalar)
            } else {
                out += rest[amp...semi]
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// Escapes text for an element body (object keys in a delete request).
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if let named = Self.entities.first(where: { $0.character == c }) {
                out += "&" + named.name + ";"
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// XML's five named entities, for both directions.
    static let entities: [(name: Substring, character: Character)] = [
        ("amp", "&"), ("lt", "<"), ("gt", ">"), ("quot", "\""), ("apos", "'"),
    ]
}
