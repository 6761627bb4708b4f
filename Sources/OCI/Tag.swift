/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
///
/// Like ``RepositoryName`` the grammar keeps tags safe to use as a directory name.
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: String

    public init?(_ string: some StringProtocol) {
        let bytes = Array(string.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return nil }
        func word(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
        }
        guard word(first) else { return nil }
        guard bytes.dropFirst().allSatisfy({ word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return nil
        }
        self.value = String(string)
    }

    public var description: String { value }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.value < rhs.value }
}
