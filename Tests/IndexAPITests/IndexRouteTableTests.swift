import HTTPTypes
import Testing
@testable import IndexAPI

@Suite struct IndexRouteTableTests {
    let table = IndexRouteTable.index

    @Test(arguments: [
        ("/api/v1/search", "GET, HEAD"),
        ("/api/v1/repositories/alpine", "GET, HEAD, DELETE, PATCH"),
        ("/api/v1/repositories/team/app/comments", "GET, HEAD, POST"),
        ("/api/v1/repositories/team/app/comments/7", "GET, HEAD, DELETE, PATCH"),
        ("/api/v1/repositories/team/app/star", "PUT, DELETE"),
        ("/api/v1/repositories/a/b/c/webhooks/3/deliveries/9/redeliver", "POST"),
        ("/api/v1/repositories/a/webhooks/3/deliveries", "GET, HEAD"),
        ("/api/v1/orgs/acme/teams/devs/members/bob", "PUT, DELETE"),
        ("/api/v1/tokens/abc", "DELETE"),
        ("/v1/_ping", "GET, HEAD"),
    ])
    func eachPathAnswersTheMethodsItsDocumentedOperationsHave(path: String, allow: String) throws {
        let methods = try #require(table.methods(for: Substring(path)))
        #expect(IndexRouteTable.allowHeader(methods) == allow)
    }

    @Test func aRepositoryPathIsReadFromTheRightAsTheResponderReadsIt() throws {
        // The tags of `x/comments`, not comment "tags" of `x`.
        #expect(table.methods(for: "/api/v1/repositories/x/comments/tags") == [.get, .head])
        // The comments of `a`, not a repository named `a/comments`.
        #expect(table.methods(for: "/api/v1/repositories/a/comments") == [.get, .head, .post])
        // A webhook of `a` named by an id that reads like an endpoint.
        #expect(table.methods(for: "/api/v1/repositories/a/webhooks/deliveries") == [.get, .head, .delete, .patch])
    }

    @Test(arguments: [
        "/api/v1/nothing", "/api/v1/repositories/", "/api/v1/repositories//comments",
        "/api/v1/orgs/acme/teams/devs/extra", "/api/v1/tokens/", "/v2/",
    ])
    func aPathNoOperationDocumentsHasNoMethodsSoTheResponderAnswersIt(path: String) {
        #expect(table.methods(for: Substring(path)) == nil)
    }

    @Test func aDocumentThatCannotBeReadLeavesEveryMethodToTheResponder() {
        #expect(IndexRouteTable(document: "not json").methods(for: "/api/v1/search") == nil)
    }
}
