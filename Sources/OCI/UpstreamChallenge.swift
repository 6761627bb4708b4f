/// A `WWW-Authenticate` challenge from an upstream registry: `Basic realm="…"` or
/// `Bearer realm="…",service="…",scope="…"`, which says where to trade credentials
/// for a token.
public struct UpstreamChallenge: Sendable, Equatable {
    /// `basic` or `bearer`, lowercased.
    public var scheme: String
    /// The parameters, keys lowercased.
    public var parameters: [String: String]

    /// Reads the first challenge of a header value; nil when there is none.
    public init?(_ header: String) {
        var rest = Substring(header).drop { $0 == " " }
        let scheme = rest.prefix { $0 != " " && $0 != "," }
        guard !scheme.isEmpty else { return nil }
        self.scheme = scheme.lowercased()
        rest = rest.dropFirst(scheme.count)
        var parameters = [String: String]()
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingSpaces().lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    value.append(character)
                }
            } else {
                let token = rest.prefix { $0 != "," }
                value = String(token).trimmingSpaces()
                rest = rest.dropFirst(token.count)
            }
            // A second challenge starts with a scheme and no `=` before its space.
            if key.contains(" ") { break }
            parameters[key] = value
        }
        self.parameters = parameters
    }
}
