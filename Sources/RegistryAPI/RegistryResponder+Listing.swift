import Auth
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    private struct ReferrersIndex: Encodable {
        let schemaVersion = 2
        let mediaType = MediaType.ociIndex
        let manifests: [Descriptor]
    }

    private static func encode(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return ByteBuffer(data: try encoder.encode(value))
    }

    /// `GET /v2/<name>/tags/list`, sorted, paginated with `n`, `last` and `Link`.
    func tags(_ request: Request, _ name: RepositoryName) async throws -> Response {
        let n = try Self.pageSize(request)
        let last = request.uri.queryParameters["last"].map(String.init)
        let page = try await registry.tags(name, limit: n ?? Int.max, after: last)
        var headers: HTTPFields = [.contentType: "application/json"]
        // Without `n` there is more only when a mirror's upstream had more pages than it
        // follows: the link goes on from there in pages of the size given.
        if page.hasMore, let lastItem = page.items.last {
            headers[.link] = "<\(settings.pathPrefix)/v2/\(name)/tags/list?last=\(Self.escape(lastItem))&n=\(n ?? page.items.count)>; rel=\"next\""
        }
        return Self.body(Self.jsonObject(key: "name", name.value, listKey: "tags", page.items), method: request.method, headers: headers)
    }

    /// `GET /v2/_catalog`, in path order, at most `catalog.maxentries` per page.
    func catalog(_ request: Request, _ principal: Principal?) async throws -> Response {
        let n = min(try Self.pageSize(request) ?? catalogMaxEntries, catalogMaxEntries)
        let last = request.uri.queryParameters["last"].map(String.init)
        var items: [String]
        var hasMore: Bool
        if let access, let principal {
            // Only what the caller may pull, still in pages of `n`: read on until the page
            // is full and one more visible name shows there is a next page, or the catalog ends.
            items = []
            hasMore = false
            var cursor = last
            scan: while n > 0 {
                let page = try await registry.catalog(limit: max(n, 100), after: cursor)
                for name in page.items where access.mayPull(principal, name) {
                    if items.count == n {
                        hasMore = true
                        break scan
                    }
                    items.append(name)
                }
                cursor = page.items.last
                if !page.hasMore || cursor == nil { break }
            }
        } else {
            let page = try await registry.catalog(limit: n, after: last)
            items = page.items
            hasMore = page.hasMore
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if hasMore, let lastItem = items.last {
            headers[.link] = "<\(settings.pathPrefix)/v2/_catalog?last=\(Self.escape(lastItem))&n=\(n)>; rel=\"next\""
        }
        return Self.body(Self.jsonObject(listKey: "repositories", items), method: request.method, headers: headers)
    }

    /// `GET /v2/<name>/referrers/<digest>`: an index of the manifests whose subject it is,
    /// empty rather than 404 when there are none.
    func referrers(_ request: Request, _ name: RepositoryName, _ digest: Digest) async throws -> Response {
        // `?artifactType=` with no value filters nothing (no listed type is empty), so it is
        // not reported as a filter applied either.
        let artifactType = request.uri.queryParameters["artifactType"].flatMap { $0.isEmpty ? nil : String($0) }
        let descriptors = try await registry.referrers(name, digest, artifactType: artifactType)
        var headers: HTTPFields = [.contentType: MediaType.ociIndex]
        if artifactType != nil { headers[.ociFiltersApplied] = "artifactType" }
        return Self.body(try Self.encode(ReferrersIndex(manifests: descriptors)), method: request.method, headers: headers)
    }

    /// `{"key":"value","listKey":["a","b"]}` written directly: listings are on hot paths,
    /// and names and tags come from grammars without characters JSON must escape.
    private static func jsonObject(key: String? = nil, _ value: String = "", listKey: String, _ items: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(items.reduce(64 + value.utf8.count) { $0 + $1.utf8.count + 3 })
        buffer.writeStaticString("{")
        if let key {
            buffer.writeString("\"\(key)\":\"\(value)\",")
        }
        buffer.writeString("\"\(listKey)\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeStaticString("\"")
            buffer.writeString(item)
            buffer.writeStaticString("\"")
        }
        buffer.writeStaticString("]}")
        return buffer
    }

    private static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? value
    }
}
