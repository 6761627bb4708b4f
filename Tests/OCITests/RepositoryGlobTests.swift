import Testing
import OCI

@Suite struct RepositoryGlobTests {
    @Test(arguments: [
        ("team-a/*", "team-a/app", true),
        ("team-a/*", "team-a/app/cache", false),
        ("team-a/*", "team-a", false),
        ("team-a/**", "team-a/app/cache", true),
        ("team-a/**", "team-a", false),
        ("**", "anything/at/all", true),
        ("*", "top", true),
        ("*", "nested/name", false),
        ("team-*/app", "team-b/app", true),
        ("team-*/app", "other/app", false),
        ("**/cache", "a/b/cache", true),
        ("**/cache", "cache", false),
        ("exact/name", "exact/name", true),
        ("exact/name", "exact/names", false),
    ])
    func starStaysInOneSegmentAndDoubleStarCrossesThem(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(RepositoryGlob(pattern).matches(name) == expected)
    }
}
