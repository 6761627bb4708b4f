public import Net
import Auth
import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may send: public addresses, and the private ranges the operator allows
/// (`index.webhooks.allow`). A repository administrator must not be able to make Pier
/// call its own loopback, the cloud's metadata service or the office network.
///
/// The host is resolved and every address it has is checked, when the hook is made and
/// again before each delivery, and the delivery connects to the address that was checked.
/// Redirects are never followed.
public struct WebhookAddressPolicy: Sendable {
    /// Private ranges webhooks may target anyway.
    public let allowed: AddressRanges

    /// Loopback, link-local, private, shared (CGNAT), unspecified, multicast, broadcast,
    /// documentation and benchmarking ranges: nothing a public service lives on. So are the
    /// IPv6 forms that carry an IPv4 address a host may route to it (IPv4-compatible and
    /// -translated, NAT64 of both kinds, 6to4, Teredo) and the retired site-local range:
    /// `[2002:7f00:1::1]` is loopback behind a 6to4 relay.
    static let nonPublic: AddressRanges = {
        let ranges = [
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "240.0.0.0/4", "::/96", "::1/128", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
            "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
        ]
        return (try? AddressRanges(parsing: ranges)) ?? .empty
    }()

    public init(allowed: AddressRanges) {
        self.allowed = allowed
    }

    /// What a delivery to `url` may connect to.
    public enum Resolution: Sendable, Equatable {
        /// Connect to `address` (checked) for `host`: the connection uses this address, not
        /// a second look-up that could answer otherwise (DNS rebinding).
        case allowed(host: String, address: String)
        /// Never: the URL is malformed or names a non-public address.
        case refused(String)
        /// Not now: the name does not resolve (perhaps only for a while).
        case unresolvable(String)
    }

    /// Resolves `url`'s host and checks every address it has.
    public func resolve(_ url: String) async -> Resolution {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parts.host, !host.isEmpty else {
            return .refused("the URL must be http:// or https:// with a host")
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses: [String]
        if AddressRanges.addressBytes(bare) != nil {
            addresses = [bare]
        } else {
            guard let resolved = try? await NIOThreadPool.singleton.runIfActive({ Self.resolve(bare) }), !resolved.isEmpty else {
                return .unresolvable("\(bare) does not resolve")
            }
            addresses = resolved
        }
        for address in addresses where !isAllowed(address) {
            return .refused("\(bare) is \(address), a loopback, private or otherwise non-public address; the operator may allow it with index.webhooks.allow")
        }
        return .allowed(host: bare, address: addresses[0])
    }

    /// Why a webhook may not target `url`, or nil when it may (when a hook is made).
    public func refusal(for url: String) async -> String? {
        switch await resolve(url) {
        case .allowed: nil
        case .refused(let reason), .unresolvable(let reason): reason
        }
    }

    /// Whether a delivery may go to `address`.
    public func isAllowed(_ address: String) -> Bool {
        guard let bytes = AddressRanges.addressBytes(address) else { return false }
        return !Self.nonPublic.contains(bytes: bytes) || allowed.contains(bytes: bytes)
    }

    /// Every address `host` resolves to (blocking: run on a thread pool).
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses = [String]()
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(text) { addresses.append(text) }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
