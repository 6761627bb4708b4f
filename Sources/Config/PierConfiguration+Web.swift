extension PierConfiguration {
    /// `web`, Pier's addition: the web UI, served on the registry's port over the index.
    /// On wherever the index is (a registry client never asks for `/`, and `GET /` still
    /// answers 200 as distribution's does, for health checks).
    public struct WebSettings: Sendable {
        /// `web.disabled: true` turns the UI off; it is off too when the index is.
        public var enabled = true
        /// `web.prefix`: a path the UI moves under (below `http.prefix`), "" for the root.
        public var prefix = ""
    }

    mutating func applyWeb(_ read: ConfigurationTree) throws(ConfigurationError) {
        if try read.bool("web.disabled") == true { web.enabled = false }
        if var prefix = try read.string("web.prefix"), !prefix.isEmpty {
            while prefix.hasSuffix("/") { prefix.removeLast() }
            guard prefix.isEmpty || prefix.hasPrefix("/") else {
                throw ConfigurationError(key: "web.prefix", message: "'\(prefix)' must start with /")
            }
            guard !["/v2", "/api", "/v1"].contains(where: { prefix == $0 || prefix.hasPrefix($0 + "/") }) else {
                throw ConfigurationError(key: "web.prefix", message: "'\(prefix)' is the registry's or the index API's")
            }
            web.prefix = prefix
        }
    }
}
