import Foundation
import OCI

/// The identifier of an upload session, as it appears in its URL.
///
/// Only a conservative alphabet is accepted so a session id from a client can be joined
/// into a storage path safely.
public struct UploadID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init?(_ string: some StringProtocol) {
        guard (1...64).contains(string.utf8.count),
              string.utf8.allSatisfy({
                  ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x41 && $0 <= 0x5a)
                      || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
              })
        else { return nil }
        value = String(string)
    }

    /// A fresh random id (a lowercase UUID, the form distribution uses).
    public static func random() -> UploadID {
        UploadID(value: UUID.random().uuidString.lowercased())
    }

    private init(value: String) { self.value = value }

    public var description: String { value }
}
