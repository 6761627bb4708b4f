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
        // The query is cut where its `?` is, even after a combining mark that joins the
        // mark to the character before it.
        ("/r/e\u{301}?q", "/r/e\u{301}"),
    ])
    func theQueryIsCutAtTheFirstQuestionMark(_ target: String, _ path: String) {
        #expect(request(target).pathWithoutQuery == Substring(path))
    }

    @Test func aRequestWithoutAPathIsAtTheRoot() {
        #expect(request(nil).pathWithoutQuery == "/")
    }
}
