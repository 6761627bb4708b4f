import Foundation

/// The outbound proxy the process's environment names (`HTTP_PROXY`, `HTTPS_PROXY`,
/// `NO_PROXY`, upper case first, then lower), read as Go's `net/http` reads it.
///
/// distribution, like every Go program, sends its outbound requests (a mirror's upstream,
/// S3, notifications, health checks, ACME) through that proxy; a registry swapped in behind
/// a corporate egress proxy must do the same or its mirror cannot reach Docker Hub. The
/// rules are Go's (`golang.org/x/net/http/httpproxy`), so one environment means the same in
/// both: `localhost` and loopback addresses are never proxied; `NO_PROXY` is `*` or a comma
/// list of IP addresses, CIDR ranges and domains (`example.com` also covers its subdomains,
/// `.example.com` and `*.example.com` only them), each optionally with a port; a proxy
/// without a scheme is `http://`; `HTTP_PROXY` is ignored under CGI (`REQUEST_METHOD` set).
public struct ProxyEnvironment: Sendable {
    /// A proxy requests are sent through.
    public struct Proxy: Sendable, Hashable, CustomStringConvertible {
        /// How the connection to the proxy is made: `CONNECT` over HTTP, or SOCKS5.
        public enum Kind: Sendable, Hashable {
            case http
            case socks5
        }

        public var kind: Kind
        public var host: String
        public var port: Int
        /// Credentials from the proxy URL's user information, sent as `Proxy-Authorization`.
        public var username: String?
        public var password: String?

        /// The proxy without its credentials, for logs.
        public var description: String {
            "\(kind == .http ? "http" : "socks5")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
    }

    /// A setting that cannot be followed, said at start so nobody wonders why requests go
    /// direct.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var variable: String
        public var reason: String
        public var description: String { "\(variable): \(reason)" }
    }

    public private(set) var httpProxy: Proxy?
    public private(set) var httpsProxy: Proxy?
    /// Settings that were set and are not followed (requests they cover go direct).
    public private(set) var problems: [Problem] = []
    private var bypassAll = false
    private var addresses: [(bytes: [UInt8], prefix: Int, port: Int?)] = []
    private var domains: [(suffix: String, port: Int?, matchesItself: Bool)] = []

    /// The process's own environment, read once.
    public static let process = ProxyEnvironment(ProcessInfo.processInfo.environment)

    /// No proxy at all.
    public static let none = ProxyEnvironment([:])

    /// Reads the variables from `environment`.
    public init(_ environment: [String: String]) {
        func value(_ names: String...) -> (name: String, value: String)? {
            for name in names { if let value = environment[name], !value.isEmpty { return (name, value) } }
            return nil
        }
        if let (name, text) = value("HTTP_PROXY", "http_proxy") {
            if let method = environment["REQUEST_METHOD"], !method.isEmpty {
                problems.append(Problem(variable: name, reason: "ignored when REQUEST_METHOD is set (under CGI a client's Proxy header sets it; Go then refuses plain-HTTP requests, Pier sends them direct)"))
            } else {
                httpProxy = parse(name, text)
            }
        }
        if let (name, text) = value("HTTPS_PROXY", "https_proxy") { httpsProxy = parse(name, text) }
        if let (_, text) = value("NO_PROXY", "no_proxy") { readExclusions(text) }
    }

    /// The proxy for a request to `scheme://host:port`; nil to connect directly.
    /// - Parameter host: as in the URL: a name, an IPv4 address or a bracketed or bare IPv6
    ///   address.
    public func proxy(scheme: String, host: String, port: Int?) -> Proxy? {
        let proxy: Proxy?
        switch scheme.lowercased() {
        case "https": proxy = httpsProxy
        case "http": proxy = httpProxy
        default: proxy = nil
        }
        guard let proxy else { return nil }
        let port = port ?? (scheme.lowercased() == "https" ? 443 : 80)
        return uses(host: host, port: port) ? proxy : nil
    }

    /// The proxy for a request to `url`; nil to connect directly.
    public func proxy(for url: String) -> Proxy? {
        // Without a proxy (the usual case) no URL is parsed on a request's way out.
        guard httpProxy != nil || httpsProxy != nil else { return nil }
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return nil
        }
        return proxy(scheme: scheme, host: host, port: components.port)
    }

    /// Whether a request to `host:port` goes through the proxy (Go's `useProxy`).
    private func uses(host rawHost: String, port: Int) -> Bool {
        var host = rawHost.trimmingCharacters(in: .whitespaces).lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { return true }
        if host == "localhost" { return false }
        let bytes = AddressRanges.addressBytes(host)
        if let bytes, Self.isLoopback(bytes) { return false }
        if bypassAll { return false }
        if let bytes {
            for entry in addresses where AddressRanges.Network(bytes: entry.bytes, prefix: entry.prefix).contains(bytes) {
                if entry.port == nil || entry.port == port { return false }
            }
        }
        for entry in domains where host.hasSuffix(entry.suffix) || (entry.matchesItself && host == entry.suffix.dropFirst()) {
            if entry.port == nil || entry.port == port { return false }
        }
        return true
    }

    private static func isLoopback(_ bytes: [UInt8]) -> Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1
    }

    /// A proxy URL as Go reads one: without a scheme it is `http://`.
    private mutating func parse(_ variable: String, _ text: String) -> Proxy? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var components = URLComponents(string: trimmed)
        if components?.scheme == nil || components?.host?.isEmpty != false {
            components = URLComponents(string: "http://" + trimmed)
        }
        guard let components, let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty else {
            problems.append(Problem(variable: variable, reason: "not a proxy URL"))
            return nil
        }
        let kind: Proxy.Kind
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        case "https":
            problems.append(Problem(variable: variable, reason: "TLS to the proxy itself (https://) is not supported; name it http:// (requests to https sites still use TLS end to end, through CONNECT)"))
            return nil
        default:
            problems.append(Problem(variable: variable, reason: "the scheme \(scheme) is not a proxy Pier speaks (http, socks5)"))
            return nil
        }
        let username = components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 }
        let password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        if kind == .socks5, username != nil {
            problems.append(Problem(variable: variable, reason: "a SOCKS5 proxy with a user name and password is not supported"))
            return nil
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return Proxy(kind: kind, host: bare, port: components.port ?? (kind == .socks5 ? 1080 : 80), username: username, password: password)
    }

    /// `NO_PROXY` as Go reads it: entries it cannot read are skipped.
    private mutating func readExclusions(_ text: String) {
        for raw in text.split(separator: ",") {
            let entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" {
                bypassAll = true
                continue
            }
            if entry.contains("/") {
                if let ranges = try? AddressRanges(parsing: [entry]), let network = ranges.networks.first {
                    addresses.append((network.bytes, network.prefix, nil))
                }
                continue
            }
            var host = entry
            var port: Int?
            if let (name, number) = Self.splitHostPort(entry) {
                // No host, or a port that is no number (Go keeps it, and it matches nothing).
                if name.isEmpty { continue }
                host = name
                if !number.isEmpty {
                    guard let value = Int(number) else { continue }
                    port = value
                }
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if let bytes = AddressRanges.addressBytes(host) {
                addresses.append((bytes, bytes.count * 8, port))
                continue
            }
            if host.hasPrefix("*.") { host.removeFirst() }
            var matchesItself = false
            if !host.hasPrefix(".") {
                matchesItself = true
                host = "." + host
            }
            domains.append((host, port, matchesItself))
        }
    }

    /// `host:port` or `[v6]:port` split as Go's `net.SplitHostPort` does; nil when the entry
    /// has no port (a bare name or a bare IPv6 address).
    private static func splitHostPort(_ entry: String) -> (String, String)? {
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { return nil }
            let rest = entry[entry.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (String(entry[entry.index(after: entry.startIndex)..<close]), String(rest.dropFirst()))
        }
        guard let colon = entry.lastIndex(of: ":"), entry.firstIndex(of: ":") == colon else { return nil }
        return (String(entry[..<colon]), String(entry[entry.index(after: colon)...]))
    }

}
