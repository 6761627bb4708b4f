import Testing
@testable import Web

@Suite struct WebTemplatesTests {
    static let hostile = #"<script>alert(1)</script>" onmouseover="x'"#

    func chrome() -> WebView.Chrome {
        WebView.Chrome(base: "/ui", title: Self.hostile, query: Self.hostile, assetVersion: "v1", user: Self.hostile, csrf: "f00d", loginURL: "/ui/login", isAdministrator: true)
    }

    @Test func everyTemplateParses() {
        for (name, _) in WebTemplates.sources {
            #expect(WebTemplates.library.getTemplate(named: name) != nil, "\(name)")
        }
    }

    @Test func whatUsersWroteIsEscapedEverywhere() throws {
        let card = WebView.Card(
            name: Self.hostile, url: "/ui/r/x", description: Self.hostile, hasDescription: true, stars: "1", pulls: "2", pushed: nil
        )
        let model = WebView.Search(
            chrome: chrome(), query: Self.hostile, hasQuery: true, total: "1", results: .init(cards: [card]), pager: nil,
            namespace: "", orders: []
        )
        let html = try #require(WebTemplates.render(model, "search"))
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains(#"" onmouseover"#))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;"))
        // Each card names its repository (a field called like the lookup's own parameter).
        #expect(html.contains(#"<h3><a href="/ui/r/x">&lt;script&gt;"#))
        // The layout's assets come from this server, under the UI's prefix.
        #expect(html.contains(#"<link rel="stylesheet" href="/ui/static/pier.css?v=v1">"#))
        #expect(html.contains(#"<script src="/ui/static/pier.js?v=v1" defer></script>"#))
    }

    @Test func anEmptyListSaysSoAndOnePageHasNoPager() throws {
        let model = WebView.Search(chrome: chrome(), query: "", hasQuery: false, total: "0", results: .init(cards: []), pager: nil, namespace: "", orders: [])
        let html = try #require(WebTemplates.render(model, "search"))
        #expect(html.contains("No repositories to show."))
        #expect(!html.contains("<ul class=\"cards\">"))
        #expect(!html.contains("class=\"pager\""))
    }

    @Test func pagesCarryNoInlineScriptOrStyle() {
        for (name, source) in WebTemplates.sources {
            #expect(!source.contains("<script>"), "\(name) has an inline script")
            #expect(!source.contains("style="), "\(name) has an inline style")
            #expect(!source.contains("<style"), "\(name) has a style element")
            #expect(source.firstMatch(of: /\son[a-z]+=/) == nil, "\(name) has an event attribute")
        }
    }

    @Test func aMissingValueNeverBorrowsTheEnclosingOnes() throws {
        let now = WebView.When(iso: "2026-01-01T00:00:00Z", ago: "REPOSITORY-PULL")
        let row = WebView.TagRow(
            name: "v1", url: "/r/x/tags/v1", digest: "sha256:00", shortDigest: "sha256:00", size: "1 B", platforms: [],
            pushed: .init(iso: "", ago: "pushed"), pusher: "alice", lastPulled: nil
        )
        let model = WebView.Repository(
            chrome: chrome(), name: "x", crumbs: [], shortName: "x", description: "", hasDescription: false,
            stars: "0", pulls: "0", tagCount: "1", pushed: nil, lastPulled: now, pullCommand: "docker pull x", overviewHTML: "",
            hasOverview: false, sorts: [], tags: [row], pager: nil, comments: [], commentCount: "0", commentPager: nil, signedIn: false,
            starred: false, starURL: "", commentURL: "", signInURL: "", commentLimit: 5000, canAdminister: false, settingsURL: ""
        )
        let html = try #require(WebTemplates.render(model, "repository"))
        // The repository's last pull shows once, in its stats; the tag never pulled says so.
        #expect(html.components(separatedBy: "REPOSITORY-PULL").count == 2)
        #expect(html.contains(#"<td role="cell">never</td></tr>"#))
    }

    /// Comments come in pages with a pager of their own (the tags' is another), each
    /// comment with the id a new comment's redirect lands on; the breadcrumb links each
    /// component of a nested name.
    @Test func commentsArePagedAndAnchoredAndCrumbsLinkEachComponent() throws {
        let when = WebView.When(iso: "2026-01-01T00:00:00Z", ago: "just now")
        let comments = (1...2).map { WebView.Comment(anchor: "comment-\($0)", author: "alice", created: when, html: "<p>hi</p>") }
        let commentPager = WebView.Pager(links: [
            .init(url: "/ui/r/a/b/app?comments_page=1#comments-heading", label: "1", current: false),
            .init(url: "/ui/r/a/b/app?comments_page=2#comments-heading", label: "2", current: true),
        ])
        let tagPager = WebView.Pager(links: [.init(url: "/ui/r/a/b/app?page=1", label: "TAGS-1", current: true)])
        let model = WebView.Repository(
            chrome: chrome(), name: "a/b/app", crumbs: [.init(label: "a", url: "/ui/u/a"), .init(label: "b", url: "/ui/search?namespace=a%2Fb")],
            shortName: "app", description: "", hasDescription: false, stars: "0", pulls: "0", tagCount: "0", pushed: nil, lastPulled: nil,
            pullCommand: "docker pull x", overviewHTML: "", hasOverview: false, sorts: [], tags: [], pager: tagPager, comments: comments,
            commentCount: "27", commentPager: commentPager, signedIn: false, starred: false, starURL: "", commentURL: "", signInURL: "",
            commentLimit: 5000, canAdminister: false, settingsURL: ""
        )
        let html = try #require(WebTemplates.render(model, "repository"))
        #expect(html.contains(#"<li id="comment-1"><article>"#) && html.contains(#"<li id="comment-2"><article>"#))
        #expect(html.contains(#"<nav class="pager" aria-label="Comment pages">"#))
        #expect(html.contains(#"<a href="/ui/r/a/b/app?comments_page=1#comments-heading">1</a>"#))
        // The tags' pager is shown once, for the tags, never borrowed by the comments'.
        #expect(html.components(separatedBy: "TAGS-1").count == 2)
        #expect(html.contains(#"<a href="/ui/u/a">a</a> / <a href="/ui/search?namespace=a%2Fb">b</a> / <span>app</span>"#))
    }

    /// An error page is headed with what happened and leads back where the visitor came
    /// from; a refused comment comes back in its form, escaped.
    @Test func errorPagesSayWhatHappenedAndLeadBack() throws {
        let model = WebView.NotFound(
            chrome: chrome(), heading: "Could not post your comment", message: "Too many comments.",
            back: .init(label: "Back to alice/app", url: "/ui/r/alice/app#comments-heading"),
            comment: .init(url: "/ui/r/alice/app/-/comments", body: Self.hostile)
        )
        let html = try #require(WebTemplates.render(model, "notfound"))
        #expect(html.contains("<h1>Could not post your comment</h1>"))
        #expect(!html.contains("Not found"))
        #expect(html.contains(#"<a href="/ui/r/alice/app#comments-heading">Back to alice/app</a>"#))
        #expect(!html.contains("Back to the start"))
        #expect(html.contains(#"<form class="comment" method="post" action="/ui/r/alice/app/-/comments">"#))
        #expect(html.contains(#"<input type="hidden" name="csrf" value="f00d">"#))
        #expect(html.contains(">&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;</textarea>"))
        let plain = try #require(WebTemplates.render(
            WebView.NotFound(chrome: chrome(), heading: "Not found", message: "No page.", back: nil, comment: nil), "notfound"
        ))
        #expect(plain.contains("<h1>Not found</h1>") && plain.contains(#"<a href="/ui/">Back to the start</a>"#))
        #expect(!plain.contains("<form class=\"comment\""))
    }

    /// A digest's page reads `name@digest`; an artifact says what it is and is pulled with
    /// ORAS; an index with more children than shown says how many are left out; referrers
    /// link to their own pages; the manifest's annotations show once.
    @Test func theTagPageNamesArtifactsDigestsAndWhatItLeavesOut() throws {
        let image = WebView.Image(
            platform: "artifact", anchor: "platform-artifact", digest: "sha256:01", size: "5 kB", layers: [],
            environment: [], ports: [], labels: [], history: [], annotations: [.init(key: "ANNOTATION-KEY", value: "v")], hasConfig: false
        )
        let referrer = WebView.Referrer(
            artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json", digest: "sha256:02", shortDigest: "sha256:02",
            url: "/ui/r/alice/app/tags/sha256:02", size: "3 B", annotations: []
        )
        let model = WebView.Tag(
            chrome: chrome(), repository: "alice/app", repositoryURL: "/ui/r/alice/app", tag: "sha256:01", reference: "alice/app@sha256:01",
            digest: "sha256:01", mediaType: "application/vnd.oci.image.manifest.v1+json",
            artifactType: "application/vnd.cncf.helm.config.v1+json", isIndex: true, size: "5 kB", pushed: nil, pusher: nil,
            pullCommand: "oras pull host/alice/app@sha256:01", images: [image], morePlatforms: "and 2 more not shown", annotations: [],
            referrers: [referrer]
        )
        let html = try #require(WebTemplates.render(model, "tag"))
        #expect(html.contains("<h1>alice/app@sha256:01</h1>"))
        #expect(html.contains("<dt>Artifact type</dt><dd><code>application/vnd.cncf.helm.config.v1+json</code></dd>"))
        #expect(html.contains("Pull this artifact (with ORAS)") && html.contains(#"value="oras pull host/alice/app@sha256:01""#))
        #expect(html.contains(#"<li class="note">and 2 more not shown</li>"#))
        #expect(html.contains(#"<a href="/ui/r/alice/app/tags/sha256:02"><code title="sha256:02">sha256:02</code></a>"#))
        #expect(html.components(separatedBy: "ANNOTATION-KEY").count == 2)
    }

    /// Long words wrap instead of widening the page; notices and errors take their colours
    /// from the theme (readable on the dark background); a list inside a comment gets no
    /// comment separators.
    @Test func theStylesheetWrapsLongWordsAndThemesItsMessages() {
        let css = WebAssets.stylesheet
        #expect(css.contains(".comments > li {") && !css.contains(".comments li {"))
        #expect(css.contains(".settings select, .filters select { max-width: 100%; }"))
        #expect(css.contains(".lead, .card, .overview, .markdown, .comments, .crumbs"))
        for rule in [".error { color: var(--danger-text)", ".notice { color: var(--ok-text)", ".ok { color: var(--ok-text)", ".failed { color: var(--danger-text)"] {
            #expect(css.contains(rule), "\(rule)")
        }
        #expect(css.components(separatedBy: "--ok-text:").count == 3)  // light and dark
        // The copy button works over plain HTTP too, where there is no navigator.clipboard.
        #expect(WebAssets.script.contains(#"document.execCommand("copy")"#))
    }

    @Test func everyTemplateEscapesWithTheFastEscaper() {
        for (name, source) in WebTemplates.sources {
            #expect(source.hasPrefix("{{% CONTENT_TYPE: \(WebTemplates.FastHTML.name)}}"), "\(name)")
        }
        let escape = WebTemplates.FastHTML().escapeText
        #expect(escape(#"<a href="x">Tom & Jerry's</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        #expect(escape("naïve 日本 ★ plain") == "naïve 日本 ★ plain")
        #expect(escape("") == "")
    }

    @Test func assetsAreVersionedByTheirBytes() {
        #expect(WebAssets.version.count == 12)
        #expect(WebAssets.all["pier.css"] != nil && WebAssets.all["pier.js"] != nil)
    }
}
