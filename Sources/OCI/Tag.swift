/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
///
/// Like ``RepositoryName`` the grammar keeps tags safe to use as a directory name.
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: String

    /// Parses a tag, returning nil for anything outside the grammar; inlined for the same
    /// reason as ``Digest/init(_:)``.
    @inlinable
    public init?(_ string: some StringProtocol) {
        self.init(parsing: Substring(string))
    }

    /// The parse itself, over UTF-8 bytes.
    @usableFromInline
    init?(parsing string: Substring) {
        let utf8 = string.utf8
        guard let first = utf8.first, utf8.count <= 128 else { return nil }
        func word(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
        }
        guard word(first) else { return nil }
        guard utf8.dropFirst().allSatisfy({ word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return nil
        }
        self.value = String(string)
    }

    public var description: String { value }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.value < rhs.value }
}
