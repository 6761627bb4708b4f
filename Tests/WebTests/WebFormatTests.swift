import Testing
@testable import Web

@Suite struct WebFormatTests {
    @Test(arguments: [
        (Int64(0), "0 B"), (999, "999 B"), (1_000, "1.0 kB"), (1_234, "1.2 kB"), (123_456_789, "123 MB"), (5_368_709_120, "5.4 GB"),
    ])
    func sizesReadAsDockerPrintsThem(_ bytes: Int64, _ text: String) {
        #expect(WebFormat.bytes(bytes) == text)
    }

    @Test func timesReadRelativeToNow() {
        let now: Int64 = 1_000_000_000_000
        #expect(WebFormat.ago(now - 5_000, now: now) == "just now")
        #expect(WebFormat.ago(now - 60_000, now: now) == "1 minute ago")
        #expect(WebFormat.ago(now - 3 * 3_600_000, now: now) == "3 hours ago")
        #expect(WebFormat.ago(now - 2 * 86_400_000, now: now) == "2 days ago")
        // A clock a little ahead still reads "just now"; a time to come reads as its date.
        #expect(WebFormat.ago(now + 30_000, now: now) == "just now")
        #expect(WebFormat.ago(now + 60_000, now: now) == "2001-09-09")
        #expect(WebFormat.ago(now + 2 * 86_400_000, now: now) == "2001-09-11")
        #expect(WebFormat.date(0) == "1970-01-01")
    }

    @Test func echoedTextLosesItsControlCharacters() {
        #expect(WebFormat.printable("a\u{0}b\u{1B}[31mc\u{7F}d\u{85}e") == "ab[31mcde")
        #expect(WebFormat.printable("naïve 日本 ★ plain") == "naïve 日本 ★ plain")
        #expect(WebFormat.printable("\u{0}") == "")
    }

    @Test func countsAndDigestsAreShortened() {
        #expect(WebFormat.count(1_234_567) == "1,234,567")
        #expect(WebFormat.count(12) == "12")
        #expect(WebFormat.shortDigest("sha256:0123456789abcdef0123") == "sha256:0123456789ab")
    }
}

@Suite struct WebPagerTests {
    @Test(arguments: [1, 2, 5, 6, 30, 100_000])
    func aPageAtOrPastTheLastLinksBackIntoTheList(_ current: Int) throws {
        let pager = try #require(WebResponder.pager(total: 30, pageSize: 25, current: current) { "/search?page=\($0)" })
        #expect(pager.links.contains { $0.label == "1" })
        #expect(pager.links.filter(\.current).map(\.label) == [current == 1 ? "1" : "2"])
    }

    @Test func oneShortListHasNoPager() {
        #expect(WebResponder.pager(total: 25, pageSize: 25, current: 7) { _ in "" } == nil)
    }

    /// A page past the last is read as the last (what the pager marks current), so it shows
    /// items rather than nothing.
    @Test func pagesPastTheLastAreClampedBeforeTheListIsRead() {
        #expect(WebResponder.lastPage(total: 0, pageSize: 25) == 1)
        #expect(WebResponder.lastPage(total: 25, pageSize: 25) == 1)
        #expect(WebResponder.lastPage(total: 26, pageSize: 25) == 2)
        #expect(WebResponder.clampPage(9, total: 30, pageSize: 25) == 2)
        #expect(WebResponder.clampPage(100_000, total: 3, pageSize: 100) == 1)
        #expect(WebResponder.clampPage(0, total: 30, pageSize: 25) == 1)
        #expect(WebResponder.clampPage(2, total: 30, pageSize: 25) == 2)
        #expect(WebResponder.clampPage(5, total: -1, pageSize: 0) == 1)
    }
}
