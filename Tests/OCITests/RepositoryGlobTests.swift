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
        ("a/**/b/**/c", "a/x/b/y/z/c", true),
        ("a/**/b/**/c", "a/b/c", false),
        ("**/**", "x", false),
        ("**/**", "x/y", true),
        ("**/x/**", "x/x/x", true),
        ("**/x/**", "x/x", false),
        ("team/**/*-cache", "team/a/b/app-cache", true),
    ])
    func starStaysInOneSegmentAndDoubleStarCrossesThem(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(RepositoryGlob(pattern).matches(name) == expected)
    }

    /// Found by the fuzzer (Fuzz/corpus/oci/regression-glob-*): Foundation's substring
    /// search returned a range outside the segment and matching trapped.
    @Test func patternsWithManyStarsMatchWithoutTrapping() {
        let pattern = "*gm/**/gm/**/**/*A\0\0\0\0\0\0\0*eion////////////////*e////////\0A///\",\""
        let name = "gm/**/gm/**/**/*A\0\0\0\0\0\0\0*eion////////////////*e////////\0A///\",\"E"
        _ = RepositoryGlob(pattern).matches(name)
        #expect(RepositoryGlob("a*b*c").matches("axxbyyc"))
        #expect(!RepositoryGlob("a*b*c").matches("axxcyyb"))
        #expect(RepositoryGlob("*é*").matches("caf\u{E9}s"))
    }

    /// Found by the fuzzer (Fuzz/corpus/oci/regression-glob-slow-*): with several `**`,
    /// trying every split of the name took seconds; matching is now a table of the two
    /// lengths, so this finishes at once, whatever the machine.
    @Test func manyDoubleStarsAgainstALongNameFinish() {
        let name = Array(repeating: "a", count: 120).joined(separator: "/")
        #expect(!RepositoryGlob("**/**/**/**/**/**/b").matches(name))
        #expect(RepositoryGlob("**/**/**/**/**/**/a").matches(name))
        #expect(!RepositoryGlob("a/**/**/**/**/**/**/**/x/**").matches(name))
    }
}
