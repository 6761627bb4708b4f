import OCI
import Testing
@testable import Registry

/// The catalog journal's names: written by one instance, read back by another.
@Suite struct CatalogJournalTests {
    let layout = Layout()

    @Test func anEntryNamesItsTimeAndRepositoryAndSortsByTime() throws {
        let name = RepositoryName("team/app-1/x_y.z")!
        let entry = try #require(layout.catalogJournalEntry(name, at: 1_733_250_000_123).split(separator: "/").last)
        let record = try #require(layout.catalogJournalRecord(String(entry)))
        #expect(record.milliseconds == 1_733_250_000_123 && record.name == name)
        let earlier = layout.catalogJournalEntry(RepositoryName("zzz")!, at: 999)
        let later = layout.catalogJournalEntry(RepositoryName("aaa")!, at: 1000)
        #expect(earlier < later)
        #expect(String(entry) > Layout.journalTime(1_733_250_000_122))
    }

    @Test(arguments: ["", "x", "12-zz", "12-abc", "12-2f", "notanumber-61"])
    func whatIsNoEntryIsSkipped(_ entry: String) {
        #expect(layout.catalogJournalRecord(entry) == nil)
    }

    @Test func onlyNamesOtherInstancesCannotKnowNeedAJournalEntry() {
        let cache = CatalogCache()
        cache.insert("a")
        #expect(cache.needsJournal("a"))
        cache.markJournaled("a")
        #expect(!cache.needsJournal("a"))
        _ = cache.replace(with: ["b"], walkStarted: .now, journalCursor: 5)
        #expect(!cache.needsJournal("b") && cache.needsJournal("c"))
        #expect(cache.journalCursor == 5)
        #expect(cache.merge(["d", "a"], cursor: 7) == ["a", "b", "d"])
        #expect(!cache.needsJournal("d") && cache.journalCursor == 7)
        #expect(cache.merge([], cursor: 3) == ["a", "b", "d"] && cache.journalCursor == 7)
    }

    @Test func theFirstWalkAndThePruneAreClaimedOnce() {
        let cache = CatalogCache()
        #expect(cache.claimFirstWalk() && !cache.claimFirstWalk())
        _ = cache.replace(with: [], walkStarted: .now)
        #expect(!cache.claimFirstWalk())
        #expect(cache.claimPrune(at: 10_000, every: 1000) && !cache.claimPrune(at: 10_500, every: 1000))
        #expect(cache.claimPrune(at: 11_000, every: 1000))
    }
}
