#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of IP address ranges (`10.0.0.0/8`, `::1`, `fd00::/8`): which proxies are trusted
/// (`http.trustedproxies`), which private networks webhooks may reach
/// (`index.webhooks.allow`).
public struct AddressRanges: Sendable, Equatable {
    /// One range: the network's bytes (4 or 16) and its prefix length.
    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for index in bytes.indices where left > 0 {
                let bits = min(left, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[index] & mask != bytes[index] & mask { return false }
                left -= bits
            }
            return true
        }
    }

    let networks: [Network]

    /// No address at all.
    public static let empty = AddressRanges(networks: [])

    init(networks: [Network]) {
        self.networks = networks
    }

    /// Reads addresses and CIDR ranges; throws naming the first entry that is neither.
    public init(parsing entries: [String]) throws(InvalidEntry) {
        var networks = [Network]()
        for entry in entries {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = Self.addressBytes(String(parts[0])) else { throw InvalidEntry(entry: entry) }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let length = Int(parts[1]), (0...prefix).contains(length) else { throw InvalidEntry(entry: entry) }
                prefix = length
            }
            networks.append(Network(bytes: bytes, prefix: prefix))
        }
        self.networks = networks
    }

    /// An entry that is not an address or a range.
    public struct InvalidEntry: Error, Sendable {
        public var entry: String
    }

    public var isEmpty: Bool { networks.isEmpty }

    /// Whether `address` (an IP address as text) is in one of the ranges.
    public func contains(_ address: some StringProtocol) -> Bool {
        guard !networks.isEmpty, let bytes = Self.addressBytes(String(address)) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether the address of 4 or 16 `bytes` is in one of the ranges.
    public func contains(bytes: [UInt8]) -> Bool {
        networks.contains { $0.contains(bytes) }
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address; an IPv4-mapped IPv6 address as IPv4.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}
