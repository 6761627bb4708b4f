import Testing
@testable import Mirror

/// How the mirror follows an upstream's paged lists.
@Suite struct MirrorListingTests {
    @Test func theNextPageIsThePathAndQueryOfTheLinkWhateverItsHost() {
        #expect(Mirror.nextPage(#"</v2/app/referrers/sha256:ab?n=2&last=x>; rel="next""#) == "/v2/app/referrers/sha256:ab?n=2&last=x")
        #expect(Mirror.nextPage(#"<https://cdn.example/v2/app/referrers/sha256:ab?last=a%2Fb>; rel="next""#) == "/v2/app/referrers/sha256:ab?last=a%2Fb")
    }

    @Test func theNextLinkIsFoundAmongSeveral() {
        #expect(Mirror.nextPage(#"</v2/a/referrers/sha256:ab?last=1>; rel="prev", </v2/a/referrers/sha256:ab?last=9>; rel="next""#) == "/v2/a/referrers/sha256:ab?last=9")
    }

    @Test func aLinkThatIsNoNextPageEndsTheList() {
        #expect(Mirror.nextPage(#"</v2/app/referrers/sha256:ab>; rel="prev""#) == nil)
        #expect(Mirror.nextPage(#"rel="next""#) == nil)
        #expect(Mirror.nextPage(#">/v2/x<; rel="next""#) == nil)
    }
}
