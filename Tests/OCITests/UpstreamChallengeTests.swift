import Testing
@testable import OCI

@Suite struct UpstreamChallengeTests {
    @Test func readsDockerHubsBearerChallenge() throws {
        let challenge = try #require(UpstreamChallenge(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
        ))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters == [
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull",
        ])
    }

    @Test func readsBasicWithSpacesQuotesAndEscapes() throws {
        let challenge = try #require(UpstreamChallenge(#"Basic realm="Registry \"Realm\", v2", charset=UTF-8"#))
        #expect(challenge.scheme == "basic")
        #expect(challenge.parameters == ["realm": #"Registry "Realm", v2"#, "charset": "UTF-8"])
    }

    @Test(arguments: ["", "   "])
    func findsNoChallengeInNothing(_ header: String) {
        #expect(UpstreamChallenge(header) == nil)
    }
}
