import OCI
import Testing
@testable import RegistryAPI

@Suite struct RegistryRouteTests {
    let name = RepositoryName("a/b")!

    @Test func recognisesEveryEndpointFromTheEnd() throws {
        #expect(try RegistryRoute.parse("/v2/") == .base)
        #expect(try RegistryRoute.parse("/v2") == .base)
        #expect(try RegistryRoute.parse("/v2/_catalog") == .catalog)
        #expect(try RegistryRoute.parse("/v2/a/b/tags/list") == .tags(name))
        #expect(try RegistryRoute.parse("/v2/a/b/manifests/latest") == .manifest(name, "latest"))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/sha256:x") == .blob(name, "sha256:x"))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads/") == .uploads(name))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads") == .uploads(name))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads/u-1") == .upload(name, "u-1"))
        #expect(try RegistryRoute.parse("/v2/a/b/referrers/sha256:x") == .referrers(name, "sha256:x"))
        #expect(try RegistryRoute.parse("/v2/manifests/manifests/x") == .manifest(RepositoryName("manifests")!, "x"))
        #expect(try RegistryRoute.parse("/v2/blobs/blobs/uploads/u") == .upload(RepositoryName("blobs")!, "u"))
        #expect(try RegistryRoute.parse("/v2/a/tags/tags/list") == .tags(RepositoryName("a/tags")!))
    }

    @Test func ignoresOtherPaths() throws {
        #expect(try RegistryRoute.parse("/") == nil)
        #expect(try RegistryRoute.parse("/v2x") == nil)
        #expect(try RegistryRoute.parse("/v2/a/b") == nil)
        #expect(try RegistryRoute.parse("/v2/a") == nil)
        #expect(try RegistryRoute.parse("/v2/a/uploads/x") == nil)
        #expect(try RegistryRoute.parse("/v2/blobs/uploads/x") == nil)
        #expect(try RegistryRoute.parse("/v2/a/tags/lists") == nil)
    }

    @Test func decodesOnlyTheReferenceSegment() throws {
        #expect(try RegistryRoute.parse("/v2/a/b/manifests/sha256%3Ax") == .manifest(name, "sha256:x"))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/sha256%3ax") == .blob(name, "sha256:x"))
        #expect(try RegistryRoute.parse("/v2/a/b/referrers/sha256%3Ax") == .referrers(name, "sha256:x"))
        // A slash decoded from the reference stays inside it, where the tag and digest
        // grammars refuse it; a malformed escape is kept as written, and refused the same way.
        #expect(try RegistryRoute.parse("/v2/a/b/manifests/..%2F..%2Fx") == .manifest(name, "../../x"))
        #expect(Reference("../../x") == nil)
        #expect(try RegistryRoute.parse("/v2/a/b/manifests/v%zz") == .manifest(name, "v%zz"))
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads/u%2D1") == .upload(name, "u%2D1"))
    }

    @Test func everyEndpointListsTheMethodsItAnswers() throws {
        #expect(try RegistryRoute.parse("/v2/a/b/manifests/x")?.allowedMethods == "GET, HEAD, PUT, DELETE, OPTIONS")
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads/")?.allowedMethods == "POST, OPTIONS")
        #expect(try RegistryRoute.parse("/v2/a/b/blobs/uploads/u")?.allowedMethods == "GET, HEAD, PATCH, PUT, DELETE, OPTIONS")
        #expect(try RegistryRoute.parse("/v2/_catalog")?.allowedMethods == "GET, HEAD, OPTIONS")
    }

    @Test(arguments: ["/v2/A/manifests/x", "/v2/a//b/manifests/x", "/v2/a/../b/tags/list", "/v2/%2e%2e/blobs/uploads/", "/v2/..%2fetc/manifests/x", "/v2/a%00/tags/list", "/v2//manifests/x", "/v2//tags/list", "/v2//blobs/uploads/"])
    func refusesInvalidNames(_ path: String) {
        #expect(throws: RegistryError.self) { try RegistryRoute.parse(Substring(path)) }
    }
}
