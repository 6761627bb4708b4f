import Foundation

/// What makes a JSON document read one way here and another way (or not at all) by the
/// clients that pull it, which are Go programs reading with `encoding/json`.
///
/// Foundation's decoder is the more lenient of the two, so a manifest it accepts could be
/// stored and then fail or mean something else in every pull:
/// - a key twice in one object: Foundation keeps the first, Go the last, so a manifest
///   with two `layers` would be checked by the registry as one document and pulled as
///   another. Go matches a field's name regardless of case (`Layers` fills `layers`) and
///   Foundation exactly, so keys are compared case-folded, but for those of
///   `annotations`, a free map whose `A` and `a` are two keys to both;
/// - an integer written as `2.0` or `1E1`: Foundation reads it as an integer, Go refuses
///   it for an `int` field ("cannot unmarshal number 2.0"), and the image spec types
///   `schemaVersion` and `size` as integers.
/// Such documents are refused rather than read either way. The bytes must already be
/// valid JSON: this only walks their structure.
public enum JSONAmbiguity: Sendable, Equatable {
    /// A key that appears twice in one object (unescaped, as written the second time).
    case duplicateKey(String)
    /// A field the specs type as an integer, holding a number with a fraction or exponent.
    case notAnInteger(key: String, number: String)

    /// The keys whose numbers must be written as integers, wherever they appear (folded).
    static let integerKeys: Set<String> = ["schemaversion", "size"]

    private enum Container {
        /// The keys read so far (folded unless `free`), whether a key comes next, the key
        /// whose value does (as written), and whether its keys are a free map's.
        case object(keys: Set<String>, expectingKey: Bool, key: String?, free: Bool)
        case array
    }

    /// A key as Go's decoder matches it to a field: its simple case folding, which also
    /// takes `ſ` for `s` and the Kelvin sign for `k`.
    static func folded(_ key: String) -> String {
        key.uppercased().lowercased()
    }

    /// The first ambiguity in document order, or nil when the document has none.
    public static func first(in bytes: [UInt8]) -> JSONAmbiguity? {
        var stack = [Container]()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                var free = false
                if case .object(_, false, let key?, _) = stack.last { free = Self.folded(key) == "annotations" }
                stack.append(.object(keys: [], expectingKey: true, key: nil, free: free))
            case UInt8(ascii: "["):
                stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _, _, let free) = stack.last {
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: true, key: nil, free: free)
                }
            case UInt8(ascii: "\""):
                let start = index
                var escaped = false
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\\") {
                        escaped = true
                        index += 2
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "\"") { break }
                    index += 1
                }
                if case .object(var keys, true, _, let free) = stack.last {
                    let raw = bytes[start...min(index, bytes.count - 1)]
                    let key = escaped
                        ? ((try? JSONDecoder().decode(String.self, from: Data(raw))) ?? String(decoding: raw, as: UTF8.self))
                        : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    let folded = Self.folded(key)
                    guard keys.insert(free ? key : folded).inserted else { return .duplicateKey(key) }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false, key: key, free: free)
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                // Outside a string, only a number starts so.
                let start = index
                var integral = true
                while index + 1 < bytes.count, Self.numberBytes.contains(bytes[index + 1]) {
                    index += 1
                    if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { integral = false }
                }
                if !integral, case .object(_, false, let key?, false) = stack.last, integerKeys.contains(Self.folded(key)) {
                    return .notAnInteger(key: key, number: String(decoding: bytes[start...index], as: UTF8.self))
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The bytes a JSON number continues with after its first.
    private static let numberBytes: Set<UInt8> = Set("0123456789.eE+-".utf8)

    /// Why the document is refused, for the error's message.
    public var reason: String {
        switch self {
        case .duplicateKey(let key):
            "the key \"\(key.prefix(100))\" appears twice in one object"
        case .notAnInteger(let key, let number):
            "\(key) must be an integer, not \(number.prefix(40))"
        }
    }
}
