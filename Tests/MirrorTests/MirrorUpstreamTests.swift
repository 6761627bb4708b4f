import OCI
import Testing
@testable import Mirror

@Suite struct MirrorUpstreamTests {
    @Test func aPrefixMapsLocalNamesToTheUpstreamsAndLeavesOthersLocal() {
        let upstream = MirrorUpstream(prefix: "ghcr", remoteURL: "https://ghcr.io")
        #expect(upstream.upstreamName(for: RepositoryName("ghcr/team/app")!) == RepositoryName("team/app"))
        #expect(upstream.upstreamName(for: RepositoryName("ghcr")!) == nil)
        #expect(upstream.upstreamName(for: RepositoryName("ghcrx/app")!) == nil)
        #expect(upstream.upstreamName(for: RepositoryName("team/app")!) == nil)
        #expect(upstream.repositories == RepositoryGlob("ghcr/**"))
        #expect(upstream.host == "ghcr.io")
    }

    @Test func dockerHubsOfficialImagesLiveUnderLibrary() {
        let hub = MirrorUpstream(prefix: "hub", remoteURL: "https://registry-1.docker.io/")
        #expect(hub.upstreamName(for: RepositoryName("hub/busybox")!) == RepositoryName("library/busybox"))
        #expect(hub.upstreamName(for: RepositoryName("hub/library/busybox")!) == RepositoryName("library/busybox"))
        #expect(hub.upstreamName(for: RepositoryName("hub/grafana/grafana")!) == RepositoryName("grafana/grafana"))
        let other = MirrorUpstream(prefix: "", remoteURL: "http://127.0.0.1:5000")
        #expect(other.upstreamName(for: RepositoryName("busybox")!) == RepositoryName("busybox"))
        #expect(other.repositories == RepositoryGlob("**"))
    }

    @Test func onlyOutagesLetAStaleCopyBeServed() {
        #expect(UpstreamError(.unreachable, upstream: "u", "refused").isOutage)
        #expect(UpstreamError(.status(503), upstream: "u", "").isOutage)
        #expect(UpstreamError(.status(429), upstream: "u", "").isOutage)
        #expect(!UpstreamError(.status(404), upstream: "u", "").isOutage)
        #expect(!UpstreamError(.status(401), upstream: "u", "").isOutage)
        #expect(!UpstreamError(.invalid, upstream: "u", "").isOutage)
    }

    @Test func anUpstreamErrorKeepsTheCodesOfASpecErrorBodyAndNoneOfAnyOther() {
        let body = #"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"x"}},{"code":"DENIED"}]}"#
        #expect(UpstreamError.codes(in: Array(body.utf8)) == ["NAME_UNKNOWN", "DENIED"])
        #expect(UpstreamError.codes(in: Array(#"{"errors":[{"message":"no code"},{"code":"NAME_UNKNOWN"}]}"#.utf8)) == ["NAME_UNKNOWN"])
        #expect(UpstreamError.codes(in: Array("404 page not found\n".utf8)).isEmpty)
        #expect(UpstreamError.codes(in: Array(#"{"message":"NAME_UNKNOWN"}"#.utf8)).isEmpty)
    }
}
