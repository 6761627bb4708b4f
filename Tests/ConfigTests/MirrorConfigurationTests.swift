import Foundation
import Mirror
import OCI
import Registry
import Testing
@testable import Config

@Suite struct MirrorConfigurationTests {
    @Test func distributionsProxySectionMirrorsEveryRepositoryWithItsTTL() throws {
        let config = try PierConfiguration.loading("""
            storage: {filesystem: {rootdirectory: /x}}
            proxy:
              remoteurl: https://registry-1.docker.io
              username: user
              password: secret
              ttl: 72h
            """)
        #expect(config.unknownKeys.isEmpty)
        #expect(config.mirrors == [MirrorUpstream(
            prefix: "", remoteURL: "https://registry-1.docker.io", username: "user", password: "secret", ttl: .seconds(72 * 3600)
        )])
        // The TTL is retention over every repository, and turns the collector on by default.
        #expect(config.collectsGarbage)
        #expect(config.retentionRules == [RetentionRule(
            repositories: [RepositoryGlob("**")], keepWithin: .seconds(72 * 3600), untaggedAfter: .seconds(72 * 3600)
        )])
    }

    @Test func credentialsInTheURLBecomeTheUpstreamsAndLeaveItsName() throws {
        let config = try PierConfiguration.loading("""
            storage: {filesystem: {rootdirectory: /x}}
            proxy: {remoteurl: "https://bot:s3cret%40x@registry.example:5000/"}
            """)
        let upstream = try #require(config.mirrors.first)
        #expect(upstream.remoteURL == "https://registry.example:5000/")
        #expect(upstream.host == "registry.example:5000")
        #expect(upstream.username == "bot" && upstream.password == "s3cret@x")
    }

    @Test func theProxySectionComesFromRegistryVariablesAlone() throws {
        let config = try PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}", environment: [
            "REGISTRY_PROXY_REMOTEURL": "http://upstream:5000", "REGISTRY_PROXY_TTL": "0",
        ])
        #expect(config.mirrors.map(\.remoteURL) == ["http://upstream:5000"])
        // distribution: a TTL of zero never expires anything.
        #expect(config.mirrors.first?.ttl == nil && config.retentionRules.isEmpty)
    }

    @Test func mirrorsByPrefixCarryTheirOwnCredentialsFreshnessTimeoutAndTLS() throws {
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("pier-ca-\(UUID().uuidString).pem").path
        try "not read until start".write(toFile: ca, atomically: true, encoding: .utf8)
        let config = try PierConfiguration.loading("""
            storage: {filesystem: {rootdirectory: /x}}
            mirrors:
              - prefix: hub
                remoteurl: https://registry-1.docker.io
                freshness: 5m
                timeout: 20s
              - prefix: ghcr/team
                remoteurl: https://ghcr.io
                username: bot
                password: token
                ttl: 24h
                tls: {ca: \(ca), insecure: true}
            retention:
              - repositories: [team/**]
                keep: {last: 3}
            """)
        #expect(config.unknownKeys.isEmpty)
        #expect(config.mirrors.count == 2)
        #expect(config.mirrors[0].prefix == "hub" && config.mirrors[0].freshness == .seconds(300) && config.mirrors[0].ttl == .seconds(168 * 3600))
        #expect(config.mirrors[0].timeout == .seconds(20) && config.mirrors[1].timeout == .seconds(60))
        #expect(config.mirrors[1].username == "bot" && config.mirrors[1].caFile == ca && config.mirrors[1].insecureSkipVerify)
        // Each mirror's TTL first, the longest prefix first as requests are routed, then the
        // configured rules.
        #expect(config.retentionRules.map(\.repositories) == [[RepositoryGlob("ghcr/team/**")], [RepositoryGlob("hub/**")], [RepositoryGlob("team/**")]])
    }

    @Test(arguments: [
        ("mirrors: [{remoteurl: https://ghcr.io}]", "mirrors[0].prefix"),
        ("mirrors: [{prefix: Hub, remoteurl: https://ghcr.io}]", "mirrors[0].prefix"),
        ("mirrors: [{prefix: hub, remoteurl: ftp://ghcr.io}]", "mirrors[0].remoteurl"),
        ("mirrors: [{prefix: hub, remoteurl: https://a.io}, {prefix: hub, remoteurl: https://b.io}]", "mirrors[1].prefix"),
        ("mirrors: [{prefix: hub, remoteurl: https://a.io, username: u}]", "mirrors[0].password"),
        ("mirrors: [{prefix: hub, remoteurl: https://a.io, tls: {ca: /nonexistent.pem}}]", "mirrors[0].tls.ca"),
        ("proxy: {username: u, password: p}", "proxy.remoteurl"),
        ("proxy: {remoteurl: https://a.io, freshness: -1s}", "proxy.freshness"),
        ("proxy: {remoteurl: https://a.io, timeout: 0s}", "proxy.timeout"),
    ])
    func refusesAMirrorItCouldNotServeNamingTheKey(_ yaml: String, _ key: String) throws {
        #expect {
            try PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}\n" + yaml)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
