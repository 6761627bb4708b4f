import Testing
@testable import Markdown

/// What users write in comments and overviews, and what must never reach a page from it.
@Suite struct SafeMarkdownTests {
    let markdown = SafeMarkdown()

    @Test func theUsualMarkupRenders() {
        let html = markdown.html("""
            # Title
            Some *emphasis*, **strong** and `code <b>`.

            - one
            - two [docs](https://example.com/docs?a=1&b=2)

            1. first
            2. second

            > quoted

            ```
            <script>alert(1)</script>
            ```
            ---
            """)
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<em>emphasis</em>") && html.contains("<strong>strong</strong>"))
        #expect(html.contains("<code>code &lt;b&gt;</code>"))
        #expect(html.contains("<ul><li>one</li><li>two <a href=\"https://example.com/docs?a=1&amp;b=2\" rel=\"nofollow noopener noreferrer\">docs</a></li></ul>"))
        #expect(html.contains("<ol><li>first</li><li>second</li></ol>"))
        #expect(html.contains("<blockquote><p>quoted</p></blockquote>"))
        #expect(html.contains("<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>"))
        #expect(html.contains("<hr>"))
    }

    @Test(arguments: [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](//evil.example/x)",
        "[click](https://ok.example/\"onmouseover=\"alert(1))",
        "[x](https://a.example/ onclick=alert(1))",
        "**<iframe src=https://evil.example>**",
        "`</code><script>x</script>`",
        "<svg/onload=alert(1)>",
        "&lt;script&gt;",
    ])
    func noMarkupFromTheSourceEverReachesThePage(source: String) {
        let html = markdown.html(source)
        for forbidden in ["<script", "<img", "<iframe", "<svg", "href=\"javascript", "href=\"JaVaScRiPt", "href=\"data", "href=\"//", "onerror=\"", "\" onclick", "\"onmouseover"] {
            #expect(!html.contains(forbidden), "\(forbidden) in \(html)")
        }
        // The only tags are the renderer's own.
        let tags = html.split(separator: "<").dropFirst().map { $0.prefix(while: { $0.isLetter || $0 == "/" }) }
        #expect(tags.allSatisfy { ["p", "/p", "a", "/a", "strong", "/strong", "em", "/em", "code", "/code", "br"].contains(String($0)) }, "\(html)")
    }

    @Test func aLinkToAnUnsafeTargetKeepsItsTextOnly() {
        #expect(markdown.html("[docs](javascript:alert(1))") == "<p>docs</p>\n")
    }

    @Test func hostileInputsAreBoundedAndLoseNoText() {
        let brackets = String(repeating: "[", count: 20_000)
        #expect(markdown.html(brackets) == "<p>\(brackets)</p>\n")
        let nested = String(repeating: "*a _b ", count: 2_000)
        #expect(!markdown.html(nested).isEmpty)
        let deep = String(repeating: "[", count: 50) + "x" + String(repeating: "](https://a.example)", count: 50)
        #expect(markdown.html(deep).components(separatedBy: "<a ").count - 1 <= SafeMarkdown.nestingLimit)
    }

    @Test func escapesEverythingThatCouldOpenMarkupOrEndAnAttribute() {
        #expect(SafeMarkdown.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
    }

    @Test(arguments: ["\u{0600}", "\u{0301}", "\u{200D}", "\u{1F1E6}"])
    func aCharacterJoinedToABracketOrQuoteIsEscapedAllTheSame(mark: String) {
        // U+0600 joins what follows it into one grapheme cluster, a combining accent or a
        // joiner what precedes it: the browser reads the bracket all the same.
        let source = "\(mark)<script src=/x \(mark)>\(mark)</script\(mark)> <img\(mark) \(mark)\"\(mark)'\(mark)&"
        #expect(!SafeMarkdown.escape(source).unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) })
        for html in [markdown.html(source), markdown.html("[a](https://x.example/\(mark)\"\(mark)>)")] {
            // Scalar by scalar, every tag is the renderer's own.
            let tags = String(html.unicodeScalars.map { Character($0) }).split(separator: "<").dropFirst()
            #expect(tags.allSatisfy { tag in ["p>", "/p>", "a href=\"https://x.example/", "/a>"].contains { tag.hasPrefix($0) } }, "\(html.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())")
        }
    }
}
