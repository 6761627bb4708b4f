import Foundation
import OCI
import Registry

/// Where a `/v2/` request goes, parsed from the raw path.
///
/// Repository names contain slashes, so a generic router cannot split them; the endpoint is
/// recognised from the end of the path instead, as distribution's route patterns do. Every
/// part is validated against the spec's grammar here, before anything touches storage.
enum RegistryRoute: Equatable {
    case base
    case catalog
    case tags(RepositoryName)
    case manifest(RepositoryName, String)
    case blob(RepositoryName, String)
    case uploads(RepositoryName)
    case upload(RepositoryName, String)
    case referrers(RepositoryName, String)

    /// Parses a raw path (without the query). Returns nil for paths that are not
    /// registry endpoints.
    /// - Throws: ``RegistryError`` `NAME_INVALID` for an endpoint whose name is not valid.
    static func parse(_ path: Substring) throws(RegistryError) -> RegistryRoute? {
        guard path.hasPrefix("/v2") else { return nil }
        let rest = path.dropFirst(3)
        if rest.isEmpty || rest == "/" { return .base }
        guard rest.hasPrefix("/") else { return nil }
        let body = rest.dropFirst()
        if body == "_catalog" { return .catalog }
        // The last three `/`-separated parts, peeled off the end without splitting the whole
        // path: `head` is what precedes a part, nil when nothing (not even "") does.
        guard let (head1, last) = Self.peel(body) else { return nil }
        guard let (head2, second) = Self.peel(head1) else { return nil }
        func name(_ raw: Substring) throws(RegistryError) -> RepositoryName {
            guard let name = RepositoryName(raw) else { throw RegistryError.nameInvalid(String(raw)) }
            return name
        }
        if second == "tags", last == "list" {
            return .tags(try name(head2))
        }
        if second == "uploads", let (head3, third) = Self.peel(head2), third == "blobs" {
            return last.isEmpty ? .uploads(try name(head3)) : .upload(try name(head3), String(last))
        }
        switch second {
        case "blobs" where last == "uploads": return .uploads(try name(head2))
        case "manifests": return .manifest(try name(head2), Self.decoded(last))
        case "blobs": return .blob(try name(head2), Self.decoded(last))
        case "referrers": return .referrers(try name(head2), Self.decoded(last))
        default: return nil
        }
    }

    /// The methods the endpoint answers, for `Allow` on a 405 (RFC 9110 requires it) and on
    /// an `OPTIONS` answer, which a browser's cross-origin preflight asks for.
    var allowedMethods: String {
        switch self {
        case .base, .catalog, .tags, .referrers: "GET, HEAD, OPTIONS"
        case .manifest: "GET, HEAD, PUT, DELETE, OPTIONS"
        case .blob: "GET, HEAD, DELETE, OPTIONS"
        case .uploads: "POST, OPTIONS"
        case .upload: "GET, HEAD, PATCH, PUT, DELETE, OPTIONS"
        }
    }

    /// The methods that only read, which a registry refusing writes (read-only, a mirrored
    /// repository) still answers: `Allow` on such a 405.
    var readMethods: String {
        switch self {
        case .uploads: "OPTIONS"
        default: "GET, HEAD, OPTIONS"
        }
    }

    /// A tag or digest as written, or percent-decoded when it carries an escape
    /// (`sha256%3A…`, as URL builders that encode every segment send it): distribution
    /// routes on the decoded path and serves both. Only this last segment is decoded, and
    /// what it decodes to must still pass the tag or digest grammar, which admits no `/` or
    /// `%` and no leading `.`, so it stays one path segment that is never `..`; names stay
    /// raw, so an escaped name is refused as before.
    private static func decoded(_ segment: Substring) -> String {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        return String(segment).removingPercentEncoding ?? String(segment)
    }

    /// Splits `path` at its last `/`: what precedes it and the part after it.
    private static func peel(_ path: Substring) -> (head: Substring, last: Substring)? {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return (path[..<slash], path[path.index(after: slash)...])
    }
}
