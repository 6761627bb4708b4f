import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Registry
import Storage
import TestSupport
import OCI
import Testing
@testable import RegistryAPI

@Suite struct RegistryResponderTests {
    func app(deleteEnabled: Bool = true, events: any ContentEventSink = NoContentEvents()) -> some ApplicationProtocol {
        let registry = Registry(driver: InMemoryDriver(), options: .init(deleteEnabled: deleteEnabled), events: events)
        return Application(responder: RegistryResponder(registry: registry, logger: Logger(label: "test")))
    }

    func errorCode(_ buffer: ByteBuffer) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        let errors = object?["errors"] as? [[String: Any]]
        #expect(errors?.first?.keys.sorted() == ["code", "detail", "message"])
        return errors?.first?["code"] as? String
    }

    @Test func baseAnswersWithTheAPIVersion() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.dockerDistributionAPIVersion] == "registry/2.0")
                #expect(String(buffer: response.body) == "{}")
            }
        }
    }

    @Test func errorsUseTheSpecBody() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v2/UPPER/tags/list", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(errorCode(response.body) == "NAME_INVALID")
            }
            try await client.execute(uri: "/v2/a/blobs/sha256:nothex", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(errorCode(response.body) == "DIGEST_INVALID")
            }
            try await client.execute(uri: "/v2/a/tags/list?n=abc", method: .get) { response in
                #expect(errorCode(response.body) == "PAGINATION_NUMBER_INVALID")
            }
            try await client.execute(uri: "/v2/a/manifests/latest", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(errorCode(response.body) == "MANIFEST_UNKNOWN")
            }
            try await client.execute(uri: "/v2/a/blobs/uploads/nope", method: .get) { response in
                #expect(errorCode(response.body) == "BLOB_UPLOAD_UNKNOWN")
            }
        }
    }

    @Test func monolithicPushThenRangedPull() async throws {
        let digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        try await app().test(.router) { client in
            try await client.execute(uri: "/v2/r/blobs/uploads/?digest=\(digest)", method: .post, body: ByteBuffer(string: "hello")) { response in
                #expect(response.status == .created)
                #expect(response.headers[.dockerContentDigest] == digest)
            }
            try await client.execute(uri: "/v2/r/blobs/\(digest)", method: .get, headers: [.range: "bytes=1-3"]) { response in
                #expect(response.status == .partialContent)
                #expect(String(buffer: response.body) == "ell")
                #expect(response.headers[.contentRange] == "bytes 1-3/5")
            }
            try await client.execute(uri: "/v2/r/blobs/\(digest)", method: .get, headers: [.range: "bytes=9-"]) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(errorCode(response.body) == "RANGE_INVALID")
            }
        }
    }

    @Test func deleteIsUnsupportedWhenDisabled() async throws {
        try await app(deleteEnabled: false).test(.router) { client in
            try await client.execute(uri: "/v2/r/manifests/latest", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(errorCode(response.body) == "UNSUPPORTED")
                // Only deletes are refused: pushes still work, and Allow says so.
                #expect(response.headers[.allow] == "GET, HEAD, PUT, OPTIONS")
            }
        }
    }

    /// The HTTP layer publishes nothing itself: each request that changes or sends content
    /// causes exactly one event, from the registry, naming the request.
    @Test func eachHTTPChangeAndPullIsPublishedOnceByTheRegistry() async throws {
        let sink = RecordingEventSink()
        let digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(digest)","size":5},"layers":[]}"#
        try await app(events: sink).test(.router) { client in
            let agent: HTTPFields = [.userAgent: "pier-test/1"]
            try await client.execute(uri: "/v2/r/blobs/uploads/?digest=\(digest)", method: .post, headers: agent, body: ByteBuffer(string: "hello")) { _ in }
            try await client.execute(uri: "/v2/s/blobs/uploads/?mount=\(digest)&from=r", method: .post, headers: agent) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/v2/r/blobs/\(digest)", method: .head, headers: agent) { _ in }
            try await client.execute(uri: "/v2/r/blobs/\(digest)", method: .get, headers: agent) { _ in }
            var manifestHeaders = agent
            manifestHeaders[.contentType] = "application/vnd.oci.image.manifest.v1+json"
            try await client.execute(uri: "/v2/r/manifests/v1", method: .put, headers: manifestHeaders, body: ByteBuffer(string: manifest)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/v2/r/manifests/v1", method: .head, headers: agent) { _ in }
            try await client.execute(uri: "/v2/r/manifests/v1", method: .get, headers: agent) { _ in }
            try await client.execute(uri: "/v2/r/manifests/v1", method: .delete, headers: agent) { response in
                #expect(response.status == .accepted)
            }
            try await client.execute(uri: "/v2/s/blobs/\(digest)", method: .delete, headers: agent) { response in
                #expect(response.status == .accepted)
            }
        }
        let events = sink.events
        #expect(events.map { "\($0.action.rawValue) \($0.repository)" } == [
            "push r", "mount s", "pull r", "push r", "pull r", "delete r", "delete s",
        ])
        #expect(events.allSatisfy { $0.origin.userAgent == "pier-test/1" })
        #expect(events.map(\.origin.method) == ["POST", "POST", "GET", "PUT", "GET", "DELETE", "DELETE"])
        #expect(events[1].fromRepository == RepositoryName("r"))
        #expect(events[3].tag == Tag("v1"))
    }
}
