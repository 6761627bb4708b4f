import Foundation
import OCI
import Registry
import Testing
@testable import Config

@Suite struct CollectionConfigurationTests {
    @Test func collectionIsOnWhereDeletesAreAndNeverReadOnly() throws {
        #expect(try PierConfiguration.load(path: nil, environment: [:]).collectsGarbage)
        #expect(try !PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}").collectsGarbage)
        #expect(try !PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}, delete: {enabled: true}, maintenance: {readonly: {enabled: true}}}").collectsGarbage)
        #expect(try PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}\ngc: {enabled: true}").collectsGarbage)
    }

    @Test func readsTheCollectorPoliciesQuotasAndImmutableTags() throws {
        let config = try PierConfiguration.loading("""
            storage: {filesystem: {rootdirectory: /x}}
            gc:
              interval: 6h
              grace: 30m
              dryrun: true
              untagged: {delete: true, age: 72h}
            retention:
              - repositories: [team/**]
                keep: {last: 5, within: 720h, tags: [latest, "v*"]}
                untagged: 24h
            quotas:
              - namespaces: [team, "ci-*"]
                bytes: 10GiB
              - namespace: small
                bytes: 1000
            immutabletags:
              - repositories: [releases/**]
                tags: ["v*"]
            """)
        #expect(config.unknownKeys.isEmpty)
        #expect(config.collection.interval == .seconds(6 * 3600))
        let options = config.collection.options(uploadPurging: config.uploadPurging, retention: config.retention)
        #expect(options.dryRun && options.grace == .seconds(1800))
        #expect(options.untagged == .delete(after: .seconds(72 * 3600)))
        #expect(config.retention == [RetentionRule(
            repositories: [RepositoryGlob("team/**")], keepLast: 5, keepWithin: .seconds(720 * 3600),
            keepTags: [RepositoryGlob("latest"), RepositoryGlob("v*")], untaggedAfter: .seconds(24 * 3600)
        )])
        #expect(config.quotas == [
            QuotaRule(namespaces: [RepositoryGlob("team"), RepositoryGlob("ci-*")], bytes: 10 << 30),
            QuotaRule(namespaces: [RepositoryGlob("small")], bytes: 1000),
        ])
        #expect(config.immutableTags == [ImmutableTagRule(repositories: [RepositoryGlob("releases/**")], tags: [RepositoryGlob("v*")])])
    }

    @Test(arguments: [
        ("retention: [{repositories: [a/**], keep: {}}]", "retention[0].keep"),
        ("retention: [{keep: {last: 3}}]", "retention[0]"),
        ("quotas: [{namespaces: [a], bytes: lots}]", "quotas[0].bytes"),
        ("immutabletags: [{repositories: [a/**]}]", "immutabletags[0]"),
        ("gc: {interval: 0s}", "gc.interval"),
    ])
    func refusesPoliciesThatWouldDoHarmNamingTheKey(_ yaml: String, _ key: String) throws {
        #expect {
            try PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}\n" + yaml)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
