import Testing
@testable import Web

@Suite struct WebPathTests {
    @Test(arguments: [
        ("/", WebPath.home),
        ("", WebPath.home),
        ("/search", WebPath.search),
        ("/r/alpine", WebPath.repository("alpine")),
        ("/r/team/app/", WebPath.repository("team/app")),
        ("/r/team/app/tags/v1.2", WebPath.tag(repository: "team/app", tag: "v1.2")),
        ("/r/a/tags/b/tags/c", WebPath.tag(repository: "a/tags/b", tag: "c")),
        ("/r/tags/x", WebPath.repository("tags/x")),
        ("/r/team/app/tags/sha256:abc", WebPath.tag(repository: "team/app", tag: "sha256:abc")),
        ("/static/pier.css", WebPath.asset("pier.css")),
        ("/login", WebPath.login),
        ("/logout", WebPath.logout),
        ("/r/team/app/-/star", WebPath.star("team/app")),
        ("/r/team/app/-/comments", WebPath.comment("team/app")),
        ("/r/team/app/settings", WebPath.repositorySettings("team/app")),
        ("/r/team/app/-/settings", WebPath.repositoryChange("team/app")),
        ("/settings", WebPath.account),
        ("/u/alice", WebPath.user("alice")),
        ("/o/acme", WebPath.organization("acme")),
    ])
    func sharedAddressesMapToTheirPages(_ path: String, _ expected: WebPath) {
        #expect(WebPath(Substring(path)) == expected)
    }

    @Test(arguments: ["/r/", "/r", "/v2/", "/api/v1/search", "/login/x", "/searchx", "/u/", "/o/a/b"])
    func otherPathsAreNotTheUIs(_ path: String) {
        #expect(WebPath(Substring(path)) == nil)
    }
}
