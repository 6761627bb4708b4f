import HTTPTypes
import Hummingbird
import NIOCore
import OCI
import Testing
@testable import RegistryAPI

@Suite struct RequestConditionalTests {
    let digest = Digest("sha256:" + String(repeating: "a", count: 64))!

    func request(ifNoneMatch: String?) -> Request {
        var head = HTTPRequest(method: .get, scheme: "http", authority: "registry", path: "/v2/a/blobs/x")
        if let ifNoneMatch { head.headerFields[.ifNoneMatch] = ifNoneMatch }
        return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }

    @Test(arguments: [
        "\"sha256:\(String(repeating: "a", count: 64))\"",
        "W/\"sha256:\(String(repeating: "a", count: 64))\"",
        "\"x\", \"sha256:\(String(repeating: "a", count: 64))\"",
        " \"x\" ,\t\"sha256:\(String(repeating: "a", count: 64))\" ",
        "sha256:\(String(repeating: "a", count: 64))",
        "*",
    ])
    func aHeaderNamingTheDigestMatches(_ header: String) {
        #expect(request(ifNoneMatch: header).ifNoneMatchNames(digest))
    }

    @Test(arguments: [
        "\"sha256:\(String(repeating: "b", count: 64))\"",
        "\"sha256:\(String(repeating: "a", count: 63))\"",
        "\"",
        "",
        ",",
        "W/",
        "\"*\"",
    ])
    func anyOtherHeaderDoesNot(_ header: String) {
        #expect(!request(ifNoneMatch: header).ifNoneMatchNames(digest))
    }

    @Test func noHeaderDoesNot() {
        #expect(!request(ifNoneMatch: nil).ifNoneMatchNames(digest))
    }
}
