import Testing
@testable import OCI

@Suite struct DigestTests {
    @Test func parsesRegisteredAlgorithms() throws {
        let hex = String(repeating: "a", count: 64)
        let digest = try #require(Digest("sha256:\(hex)"))
        #expect(digest.algorithm == .sha256)
        #expect(digest.encoded == hex)
        #expect(digest.description == "sha256:\(hex)")
        #expect(Digest("sha512:" + String(repeating: "0", count: 128)) != nil)
    }

    @Test(arguments: [
        "sha256:abc", "sha256:" + String(repeating: "A", count: 64), "md5:" + String(repeating: "a", count: 32),
        "sha256" + String(repeating: "a", count: 64), "", "sha256:../" + String(repeating: "a", count: 61),
        "sha256:" + String(repeating: "a", count: 65),
    ])
    func rejectsMalformedDigests(_ input: String) {
        #expect(Digest(input) == nil)
    }

    @Test func parsesTheSameFromASubstringAsFromAString() throws {
        let text = "/v2/a/manifests/sha384:" + String(repeating: "c", count: 96) + "?x"
        let slice = text.dropFirst("/v2/a/manifests/".count).dropLast(2)
        let digest = try #require(Digest(slice))
        #expect(digest == Digest(String(slice)))
        #expect(digest.algorithm == .sha384 && digest.encoded == String(repeating: "c", count: 96))
        #expect(Digest(slice.dropLast()) == nil)
    }

    @Test(arguments: [
        // A combining mark joins the colon into one character, or an accent makes the
        // name no algorithm's: each is refused, whether read by bytes or by characters.
        "sha256:\u{301}" + String(repeating: "a", count: 63),
        "sha256\u{301}:" + String(repeating: "a", count: 64),
        "sh\u{E1}256:" + String(repeating: "a", count: 64),
        "SHA256:" + String(repeating: "a", count: 64),
        ":" + String(repeating: "a", count: 64),
        "sha256::" + String(repeating: "a", count: 63),
    ])
    func refusesDigestsThatOnlyLookRegistered(_ input: String) {
        #expect(Digest(input) == nil)
        #expect(Reference(input) == nil)
    }

    @Test func hashesIncrementallyLikeOneShot() {
        var hasher = DigestHasher()
        hasher.update(Array("hel".utf8))
        hasher.update(Array("lo".utf8))
        #expect(hasher.count == 5)
        #expect(hasher.finalize() == Digest.of(Array("hello".utf8)))
        #expect(Digest.of(Array("hello".utf8)).encoded == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    }

    @Test func copiedHasherIsIndependent() {
        var a = DigestHasher()
        a.update([1, 2, 3])
        var b = a
        b.update([4])
        #expect(a.finalize() == Digest.of([1, 2, 3]))
        #expect(b.finalize() == Digest.of([1, 2, 3, 4]))
    }
}
