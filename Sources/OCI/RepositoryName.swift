/// A repository name as the distribution spec's grammar allows it:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 bytes.
///
/// The grammar rules out every path trick (`..`, `//`, `%2e`, NUL, leading `/`), so a
/// valid name can be joined into a storage path as it is.
public struct RepositoryName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as the client wrote it.
    public let value: String

    /// The longest name accepted, as in distribution.
    public static let maximumLength = 255

    public init?(_ string: some StringProtocol) {
        // Validated in the String it is kept as: one copy, and none at all for the short
        // names a String stores inline.
        var value = String(string)
        guard value.withUTF8({ Self.isValid($0) }) else { return nil }
        self.value = value
    }

    private static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength else { return false }
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "/") {
            guard isValidComponent(bytes[start..<i]) else { return false }
            start = i + 1
        }
        return true
    }

    /// Whether `text` is one `/`-free component of a name (`[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`,
    /// ASCII only): the shape a namespace, a user's or an organisation's, must have for
    /// the repositories under it to be names at all.
    public static func isComponent(_ text: some StringProtocol) -> Bool {
        var value = String(text)
        return value.withUTF8 { $0.count <= Self.maximumLength && Self.isValidComponent($0[...]) }
    }

    /// The `/`-separated parts of the name.
    public var components: [Substring] { value.split(separator: "/") }

    public var description: String { value }

    /// Plain lexical order, as the spec asks of listings (distribution 2.x instead lists in
    /// directory-walk order, `a/b` before `a-b`; clients page by `Link`, so either works).
    public static func < (lhs: RepositoryName, rhs: RepositoryName) -> Bool { lhs.value < rhs.value }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
    }

    private static func isValidComponent(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if isAlphanumeric(c) {
                i += 1
                continue
            }
            // A separator run: ".", "_", "__" or "-"+, always between alphanumerics.
            var j = i
            while j < bytes.endIndex, !isAlphanumeric(bytes[j]) { j += 1 }
            let run = bytes[i..<j]
            let ok: Bool
            switch c {
            case UInt8(ascii: "."): ok = run.count == 1
            case UInt8(ascii: "_"): ok = run.count <= 2 && run.allSatisfy { $0 == UInt8(ascii: "_") }
            case UInt8(ascii: "-"): ok = run.allSatisfy { $0 == UInt8(ascii: "-") }
            default: ok = false
            }
            guard ok else { return false }
            i = j
        }
        return true
    }
}
