import Foundation
import Hummingbird
import Index
import OCI

/// A JSON object a client sent, read strictly: a body that is not one object, a field the
/// endpoint does not know, a value of the wrong type or a string with control characters is
/// refused with the reason, before anything is stored, so nothing is ever stored half.
struct JSONFields {
    private let object: [String: Any]

    /// The body of `request`, at most `limit` bytes, with no fields but `allowed`.
    ///
    /// The body must say it is `application/json`: another site's page can post a body
    /// without a type (or as `text/plain`) with no preflight, and a browser that remembers
    /// Basic credentials for this host would send them along; a JSON type makes such a post
    /// need a preflight this API never grants.
    static func read(_ request: Request, limit: Int, allowed: Set<String>) async throws -> JSONFields {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            throw invalid("send the body as application/json (Content-Type: application/json)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw RegistryError(.sizeInvalid, "the body is larger than \(limit) bytes", status: 413)
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)),
              let object = parsed as? [String: Any] else {
            throw invalid("the body must be one JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw invalid("unknown field '\(unknown)'", detail: "known fields: \(allowed.sorted().joined(separator: ", "))")
        }
        return JSONFields(object: object)
    }

    /// The text of `field`, if sent: a string of at most `maximum` characters, counted as
    /// Unicode scalars (one character may hold hundreds of combining marks), with line
    /// breaks only when `multiline`.
    ///
    /// One line refuses what ``OneLineText/breaks(_:)`` names: controls (C0, DEL, C1 with
    /// NEL U+0085) and the line and paragraph separators U+2028 and U+2029. Many lines
    /// take `\n`, `\r`, `\t` and the separators, and refuse every other control.
    func string(_ field: String, maximum: Int, multiline: Bool = false) throws -> String? {
        guard let value = object[field] else { return nil }
        guard let text = value as? String else { throw Self.invalid("'\(field)' must be a string") }
        guard text.unicodeScalars.count <= maximum else { throw Self.invalid("'\(field)' is longer than \(maximum) characters") }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t", "\u{2028}", "\u{2029}"] : []
        if text.unicodeScalars.contains(where: { OneLineText.breaks($0) && !allowed.contains($0) }) {
            throw Self.invalid("'\(field)' holds control characters or line breaks")
        }
        return text
    }

    /// The strings of `field`, if sent: a list of at most `maximum` strings.
    func strings(_ field: String, maximum: Int) throws -> [String]? {
        guard let value = object[field] else { return nil }
        guard let list = value as? [Any], list.count <= maximum else {
            throw Self.invalid("'\(field)' must be a list of at most \(maximum) strings")
        }
        return try list.map { item in
            guard let text = item as? String, text.unicodeScalars.count <= 64 else { throw Self.invalid("'\(field)' must hold strings") }
            return text
        }
    }

    /// The boolean in `field`, if sent.
    func bool(_ field: String) throws -> Bool? {
        guard let value = object[field] else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
            throw Self.invalid("'\(field)' must be true or false")
        }
        return number.boolValue
    }

    /// The whole number in `field`, if sent and not null, within `range`.
    func integer(_ field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        // JSONSerialization reads `true` as a number too, and `1` passes `is Bool`: the
        // number's own type code tells a boolean ("c") from a number.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
              let integer = value as? Int, range.contains(integer) else {
            throw Self.invalid("'\(field)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }

    static func invalid(_ message: String, detail: String? = nil) -> RegistryError {
        RegistryError(.requestInvalid, message, detail: detail, status: 400)
    }
}
