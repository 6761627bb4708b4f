import Testing
@testable import OCI

@Suite struct RepositoryNameTests {
    @Test(arguments: ["library/ubuntu", "a", "a/b/c", "foo.bar", "foo_bar", "foo__bar", "foo---bar", "0x/y9", "team-a/app.v2"])
    func acceptsGrammarNames(_ name: String) {
        #expect(RepositoryName(name) != nil)
    }

    @Test(arguments: [
        "", "UPPER", "a//b", "/a", "a/", "a/../b", "..", "a/./b", "%2e%2e/x", "a\0b", "-a", "a-", "a..b", "a___b",
        "a._b", String(repeating: "a", count: 256), "a b", "a:b",
    ])
    func rejectsEverythingElse(_ name: String) {
        #expect(RepositoryName(name) == nil)
    }

    @Test func acceptsTheLongestName() {
        #expect(RepositoryName(String(repeating: "a", count: 255)) != nil)
    }

    @Test(arguments: ["a", "acme", "0x", "foo.bar", "foo__bar", "foo---bar"])
    func aComponentIsOnePartOfTheGrammar(_ text: String) {
        #expect(RepositoryName.isComponent(text))
    }

    /// Non-ASCII digits and letters (`٣٣`, `x²`) are what `Character.isNumber` and
    /// `isLetter` accept; the grammar does not.
    @Test(arguments: ["", "a/b", "a..b", "-a", "a-", "a___b", "UPPER", "\u{663}\u{663}", "x\u{B2}", "\u{E9}t\u{E9}", "a b"])
    func aComponentRefusesWhatTheGrammarDoes(_ text: String) {
        #expect(!RepositoryName.isComponent(text))
    }

    @Test func ordersLexically() {
        let names = ["a-b", "a/b", "a", "a/b/c", "a.b", "b"].compactMap { RepositoryName($0) }.sorted().map(\.value)
        #expect(names == ["a", "a-b", "a.b", "a/b", "a/b/c", "b"])
    }
}

@Suite struct TagAndReferenceTests {
    @Test(arguments: ["latest", "v1.0.0", "_x", "A-b_c.d", String(repeating: "t", count: 128)])
    func acceptsTags(_ tag: String) {
        #expect(Tag(tag) != nil)
    }

    @Test(arguments: ["", "-bad", ".bad", "a:b", "a/b", String(repeating: "t", count: 129), "ä"])
    func rejectsTags(_ tag: String) {
        #expect(Tag(tag) == nil)
    }

    @Test func tagsParseFromSubstringsByTheirBytes() {
        let path = "/v2/a/manifests/v1.2-rc_3?x"
        let slice = path.dropFirst("/v2/a/manifests/".count).dropLast(2)
        #expect(Tag(slice)?.value == "v1.2-rc_3")
        #expect(Reference(slice) == .tag(Tag("v1.2-rc_3")!))
        #expect(Tag(String(repeating: "t", count: 128)) != nil)
        // A decomposed accent is two scalars, the first of them a plain letter.
        #expect(Tag("e\u{301}") == nil)
    }

    @Test func referenceWithColonIsADigest() {
        #expect(Reference("sha256:" + String(repeating: "1", count: 64)) != nil)
        #expect(Reference("sha256:nothex") == nil)
        #expect(Reference("latest") == .tag(Tag("latest")!))
    }
}
