import Testing
@testable import Web

/// The pure decisions pages make: what a page may be cached as, what a breadcrumb links
/// to, how a reference and an artifact read, and which ids a tag page's sections get.
@Suite struct WebPageLogicTests {
    /// A page for a signed-in session is never stored (Back after signing out must not show
    /// it); an anonymous page is only revalidated.
    @Test func signedInPagesAreNeverStored() {
        #expect(WebResponder.cacheControl(signedIn: true) == "no-store")
        #expect(WebResponder.cacheControl(signedIn: false) == "private, no-cache")
        #expect(WebResponder.anonymousCacheControl == WebResponder.cacheControl(signedIn: false))
    }

    /// Each crumb links to what it names: the owner's page, then each deeper namespace as
    /// the search narrowed to it, never the owner's page again.
    @Test func eachCrumbOfANestedNameLinksToWhatItNames() {
        let crumbs = WebResponder.crumbs(of: "alice/a0/a1/app", ownerURL: "/u/alice") { "/search?namespace=" + $0 }
        #expect(crumbs.map(\.label) == ["alice", "a0", "a1"])
        #expect(crumbs.map(\.url) == ["/u/alice", "/search?namespace=alice/a0", "/search?namespace=alice/a0/a1"])
        #expect(WebResponder.crumbs(of: "alice/app", ownerURL: "/o/alice") { $0 }.map(\.url) == ["/o/alice"])
        #expect(WebResponder.crumbs(of: "alpine", ownerURL: "/u/alpine") { $0 }.isEmpty)
    }

    @Test func aDigestIsReferencedWithAnAt() {
        #expect(WebResponder.reference("alice/app", "v1") == "alice/app:v1")
        #expect(WebResponder.reference("alice/app", "sha256:abc") == "alice/app@sha256:abc")
        #expect(WebResponder.reference("host:5000/alice/app", "sha512:abc") == "host:5000/alice/app@sha512:abc")
    }

    @Test func artifactsAreToldFromImages() {
        // A Helm chart: no artifactType, a config that is no image's.
        #expect(WebResponder.artifactType(declared: nil, config: "application/vnd.cncf.helm.config.v1+json", isIndex: false)
            == "application/vnd.cncf.helm.config.v1+json")
        // OCI 1.1 artifacts declare themselves (with the empty config).
        #expect(WebResponder.artifactType(declared: "application/spdx+json", config: "application/vnd.oci.empty.v1+json", isIndex: false)
            == "application/spdx+json")
        #expect(WebResponder.artifactType(declared: nil, config: "application/vnd.oci.image.config.v1+json", isIndex: false) == nil)
        #expect(WebResponder.artifactType(declared: nil, config: "application/vnd.docker.container.image.v1+json", isIndex: false) == nil)
        #expect(WebResponder.artifactType(declared: "", config: nil, isIndex: true) == nil)
        #expect(WebResponder.artifactType(declared: "application/vnd.example.bundle", config: nil, isIndex: true) == "application/vnd.example.bundle")
    }

    @Test func twoSectionsOfOnePlatformGetIdsOfTheirOwn() {
        let anchors = WebResponder.uniqueAnchors(["platform-linux-amd64", "platform-linux-arm64", "platform-linux-amd64", "platform-linux-amd64"])
        #expect(anchors == ["platform-linux-amd64", "platform-linux-arm64", "platform-linux-amd64-2", "platform-linux-amd64-3"])
        #expect(Set(WebResponder.uniqueAnchors(["a", "a-2", "a"])).count == 3)
    }

    @Test func anAPIMessageReadsAsASentence() {
        #expect(WebResponder.sentence("a comment is 1 to 5000 characters") == "A comment is 1 to 5000 characters.")
        #expect(WebResponder.sentence("Done.") == "Done.")
        #expect(WebResponder.sentence("") == "")
    }

    /// A name with no account yet may be a collaborator (the account may come later), but
    /// the page says so rather than a plain "saved".
    @Test func aCollaboratorWithoutAnAccountIsSavedWithAWarning() {
        #expect(WebResponder.notices["add-collaborator-unknown"] == "Collaborator saved; no account has this name yet.")
        #expect(WebResponder.notices["password"] == "Password changed.")
    }

    /// The pull command passes over what cosign attaches to an image, which is no image.
    @Test func tagsAttachedToAnImageAreToldFromImagesTags() {
        let digest = String(repeating: "ab", count: 32)
        for tag in ["sha256-\(digest).sig", "sha256-\(digest).att", "sha256-\(digest).sbom"] {
            #expect(WebResponder.isAttachedTag(tag), "\(tag)")
        }
        for tag in ["v1", "latest", "sha256-\(digest)", "sha256-\(digest.uppercased()).sig", "sha256-abc.sig", "sha512-\(digest).sig"] {
            #expect(!WebResponder.isAttachedTag(tag), "\(tag)")
        }
    }
}
