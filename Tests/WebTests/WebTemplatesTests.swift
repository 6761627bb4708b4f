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
            chrome: chrome(), name: "x", namespace: nil, namespaceURL: nil, shortName: "x", description: "", hasDescription: false,
            stars: "0", pulls: "0", tagCount: "1", pushed: nil, lastPulled: now, pullCommand: "docker pull x", overviewHTML: "",
            hasOverview: false, sorts: [], tags: [row], pager: nil, comments: [], commentCount: "0", signedIn: false, starred: false,
            starURL: "", commentURL: "", signInURL: "", commentLimit: 5000, canAdminister: false, settingsURL: ""
        )
        let html = try #require(WebTemplates.render(model, "repository"))
        // The repository's last pull shows once, in its stats; the tag never pulled says so.
        #expect(html.components(separatedBy: "REPOSITORY-PULL").count == 2)
        #expect(html.contains(#"<td role="cell">never</td></tr>"#))
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
