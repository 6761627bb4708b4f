import HTTPTypes
import Hummingbird
import NIOCore
import Testing
@testable import RegistryAPI

@Suite struct RequestPathTests {
    func request(_ path: String?) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: "registry", path: path), body: RequestBody(buffer: ByteBuffer()))
    }

    @Test(arguments: [
        ("/v2/a/manifests/latest", "/v2/a/manifests/latest"),
        ("/v2/_catalog?n=10&last=x", "/v2/_catalog"),
        ("/v2/a/tags/list?n=1?2", "/v2/a/tags/list"),
        ("/search?", "/search"),
        ("?only=query", ""),
        ("/", "/"),
        // The query starts at the first `?` byte, as RFC 3986 reads a target, even where a
        // combining mark after it makes `?` part of a larger character.
        ("/r/e\u{301}?q", "/r/e\u{301}"),
        ("/r/x?\u{301}q", "/r/x"),
    ])
    func theQueryIsCutAtTheFirstQuestionMark(_ target: String, _ path: String) {
        #expect(request(target).pathWithoutQuery == Substring(path))
    }

    @Test func aRequestWithoutAPathIsAtTheRoot() {
        #expect(request(nil).pathWithoutQuery == "/")
    }
}
