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
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
        let n = parts.count
        func name(_ count: Int) throws(RegistryError) -> RepositoryName {
            let raw = parts[0..<count].joined(separator: "/")
            guard count > 0, let name = RepositoryName(raw) else { throw RegistryError.nameInvalid(raw) }
            return name
        }
        if n >= 3, parts[n - 2] == "tags", parts[n - 1] == "list" {
            return .tags(try name(n - 2))
        }
        if n >= 4, parts[n - 3] == "blobs", parts[n - 2] == "uploads" {
            let id = parts[n - 1]
            return id.isEmpty ? .uploads(try name(n - 3)) : .upload(try name(n - 3), String(id))
        }
        if n >= 3, parts[n - 2] == "blobs", parts[n - 1] == "uploads" {
            return .uploads(try name(n - 2))
        }
        if n >= 3, parts[n - 2] == "manifests" {
            return .manifest(try name(n - 2), String(parts[n - 1]))
        }
        if n >= 3, parts[n - 2] == "blobs" {
            return .blob(try name(n - 2), String(parts[n - 1]))
        }
        if n >= 3, parts[n - 2] == "referrers" {
            return .referrers(try name(n - 2), String(parts[n - 1]))
        }
        return nil
    }
}
