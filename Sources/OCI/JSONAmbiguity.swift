import Foundation

/// Finds a key that appears twice in one JSON object, at any depth.
///
/// JSON parsers disagree on duplicates: Foundation keeps the first, Go's `encoding/json`
/// (every container client) the last. A manifest with two `layers` would then be checked
/// by the registry as one document and pulled by clients as another, so such documents are
/// refused rather than read either way. The bytes must already be valid JSON: this only
/// walks their structure.
enum JSONDuplicateKeys {
    private enum Container {
        case object(keys: Set<String>, expectingKey: Bool)
        case array
    }

    /// The first duplicated key (unescaped), or nil when every object's keys are distinct.
    static func first(in bytes: [UInt8]) -> String? {
        var stack = [Container]()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["):
                stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _) = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: true) }
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
                if case .object(var keys, true) = stack.last {
                    let raw = bytes[start...min(index, bytes.count - 1)]
                    let key = escaped
                        ? ((try? JSONDecoder().decode(String.self, from: Data(raw))) ?? String(decoding: raw, as: UTF8.self))
                        : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    guard keys.insert(key).inserted else { return key }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }
}
