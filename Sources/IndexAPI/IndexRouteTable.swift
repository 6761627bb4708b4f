import Foundation
import HTTPTypes

/// The methods each index endpoint answers, read from the OpenAPI document the API serves.
///
/// RFC 9110 requires `Allow` on every 405, and a wrong method must be told apart from a
/// malformed request before anything else is looked at (a POST without a JSON body to an
/// endpoint that takes no POST is a 405, not a 400). Reading the table from the document
/// keeps what `Allow` says and what the document promises the same list.
struct IndexRouteTable: Sendable {
    /// One path template: its segments, `{name}` (a repository name, which may hold
    /// slashes) matching one or more of the request's, any other `{…}` exactly one.
    struct Route: Sendable {
        let segments: [Substring]
        let methods: [HTTPRequest.Method]

        /// Which template wins a path several match, as the responder reads repository paths
        /// from the right: one ending in a word before one ending in an id (`x/comments/tags`
        /// is the tags of `x/comments`), then the one with more words (`a/comments` is the
        /// comments of `a`, not a repository of that name).
        var precedence: (Int, Int) {
            (segments.last?.hasPrefix("{") == false ? 1 : 0, segments.count(where: { !$0.hasPrefix("{") }))
        }
    }

    /// In order of ``Route/precedence``, the first that matches a path wins.
    let routes: [Route]

    /// The table of ``OpenAPIDocument``, built once.
    static let index = IndexRouteTable(document: OpenAPIDocument.json)

    /// The table of an OpenAPI document's `paths`; empty when it cannot be read, so every
    /// method then reaches the responder, which refuses what it does not answer itself.
    init(document: String) {
        let object = try? JSONSerialization.jsonObject(with: Data(document.utf8))
        let paths = (object as? [String: Any])?["paths"] as? [String: Any] ?? [:]
        var routes = [Route]()
        for (template, item) in paths {
            let operations = Set((item as? [String: Any])?.keys.map { $0 } ?? [])
            var methods = [HTTPRequest.Method]()
            for name in ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"] where operations.contains(name.lowercased()) {
                methods.append(HTTPRequest.Method(rawValue: name) ?? .get)
            }
            // HEAD is answered wherever GET is.
            if methods.contains(.get), !methods.contains(.head) { methods.insert(.head, at: 1) }
            routes.append(Route(segments: template.split(separator: "/", omittingEmptySubsequences: false), methods: methods))
        }
        self.routes = routes.sorted { $0.precedence > $1.precedence }
    }

    /// The methods the endpoint at `path` answers; nil for a path no template matches
    /// (the responder's 404).
    func methods(for path: Substring) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return routes.first { Self.matches($0.segments[...], parts[...]) }?.methods
    }

    /// `methods` as the `Allow` header writes them.
    static func allowHeader(_ methods: [HTTPRequest.Method]) -> String {
        methods.map(\.rawValue).joined(separator: ", ")
    }

    private static func matches(_ template: ArraySlice<Substring>, _ parts: ArraySlice<Substring>) -> Bool {
        guard let first = template.first else { return parts.isEmpty }
        guard let part = parts.first else { return false }
        if first == "{name}" {
            // One or more segments, none empty, as many as the rest of the template leaves.
            guard !part.isEmpty else { return false }
            var rest = parts.dropFirst()
            while true {
                if matches(template.dropFirst(), rest) { return true }
                guard let next = rest.first, !next.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        if first.hasPrefix("{") { return !part.isEmpty && matches(template.dropFirst(), parts.dropFirst()) }
        return first == part && matches(template.dropFirst(), parts.dropFirst())
    }
}
