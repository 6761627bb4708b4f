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
            chrome: chrome(), query: Self.hostile, hasQuery: true, total: "1", results: .init(cards: [card]), pager: nil
        )
        let html = try #require(WebTemplates.library.render(model, withTemplate: "search"))
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains(#"" onmouseover"#))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;"))
        // The layout's assets come from this server, under the UI's prefix.
        #expect(html.contains(#"<link rel="stylesheet" href="/ui/static/pier.css?v=v1">"#))
        #expect(html.contains(#"<script src="/ui/static/pier.js?v=v1" defer></script>"#))
    }

    @Test func anEmptyListSaysSoAndOnePageHasNoPager() throws {
        let model = WebView.Search(chrome: chrome(), query: "", hasQuery: false, total: "0", results: .init(cards: []), pager: nil)
        let html = try #require(WebTemplates.library.render(model, withTemplate: "search"))
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

    @Test func assetsAreVersionedByTheirBytes() {
        #expect(WebAssets.version.count == 12)
        #expect(WebAssets.all["pier.css"] != nil && WebAssets.all["pier.js"] != nil)
    }
}
