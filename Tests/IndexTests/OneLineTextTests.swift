import Testing
@testable import Index

/// The one-line rules: what the API refuses in a description and what an image's
/// annotation is cleaned of.
@Suite struct OneLineTextTests {
    @Test func controlsAndLineAndParagraphSeparatorsBreakALine() {
        let breaking: [Unicode.Scalar] = ["\u{0}", "\u{7}", "\u{1B}", "\n", "\r", "\t", "\u{7F}", "\u{85}", "\u{9B}", "\u{2028}", "\u{2029}"]
        for scalar in breaking { #expect(OneLineText.breaks(scalar), "U+\(String(scalar.value, radix: 16))") }
        let kept: [Unicode.Scalar] = [" ", "a", "\u{A0}", "\u{301}", "\u{65E5}", "\u{2605}"]
        for scalar in kept { #expect(!OneLineText.breaks(scalar), "U+\(String(scalar.value, radix: 16))") }
    }

    @Test func cleaningMakesEveryBreakAndWhitespaceRunOneSpaceAndTrimsTheEnds() {
        #expect(OneLineText.cleaned("  a\n\u{1B}[31mb\u{7} \u{85}c\u{2028}d\u{2029}\t\te  ", maximum: 300) == "a [31mb c d e")
        #expect(OneLineText.cleaned("\n\t \u{0}\u{2028}", maximum: 300) == "")
        #expect(OneLineText.cleaned("naïve 日本 ★", maximum: 300) == "naïve 日本 ★")
    }

    @Test func cleaningCutsAtTheLimitInScalarsAndNeverEndsInASpace() {
        let accented = "a" + String(repeating: "\u{301}", count: 200)
        let cut = OneLineText.cleaned(String(repeating: accented, count: 300), maximum: 300)
        #expect(cut.unicodeScalars.count == 300 && cut.count == 2)
        #expect(OneLineText.cleaned("abc def", maximum: 4) == "abc")
        #expect(OneLineText.cleaned("abc def", maximum: 5) == "abc d")
    }
}
