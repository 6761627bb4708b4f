public import Foundation

extension UUID {
    /// A version 4 UUID from the system's random generator (`getrandom`), which needs no
    /// file descriptor. Foundation's `UUID()` reads `/dev/urandom`, and with descriptors
    /// exhausted it handed every caller the same id: two clients were given one upload
    /// session.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = [generator.next() as UInt64, generator.next() as UInt64].flatMap { word in withUnsafeBytes(of: word) { Array($0) } }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}
