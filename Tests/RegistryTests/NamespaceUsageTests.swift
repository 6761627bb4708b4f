import OCI
import Testing
@testable import Registry

/// The quota's count keeps every admission while recounts race the pushes they count.
@Suite struct NamespaceUsageTests {
    let a = Digest.of([1])
    let b = Digest.of([2])

    func count(_ blobs: [Digest: Int64], at instant: ContinuousClock.Instant) -> NamespaceUsage.Count {
        NamespaceUsage.Count(blobs: blobs, bytes: blobs.values.reduce(0, +), countedAt: instant)
    }

    @Test func aRecountThatBeganBeforeAnAdmissionKeepsIt() {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        let earlier = ContinuousClock.now
        usage.store("team", count([:], at: .now))
        #expect(usage.admit("team", a, size: 30, limit: 100).ticket != nil)
        // A recount that listed before the admitted blob was linked does not replace the newer count…
        #expect(usage.store("team", count([:], at: earlier)).bytes == 30)
        // …and a later one that still missed the link carries the admission over.
        #expect(usage.store("team", count([b: 50], at: .now)).bytes == 80)
        #expect(usage.admit("team", Digest.of([3]), size: 30, limit: 100) == .full(held: 80))
    }

    @Test func anUnlinkedAdmissionOutlivesTheInvalidationAfterADeletion() {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        usage.store("team", count([b: 50], at: .now))
        #expect(usage.admit("team", a, size: 30, limit: 100).ticket != nil)
        usage.invalidate("team")
        #expect(usage.current("team") == nil)
        #expect(usage.admit("team", Digest.of([3]), size: 30, limit: 100) == .uncounted)
        // The deleted blob b is gone from the recount; a, admitted but not linked yet, is not.
        #expect(usage.store("team", count([:], at: .now)).bytes == 30)
    }

    @Test func aLinkedBlobALaterListingMissesWasDeleted() {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        usage.store("team", count([:], at: .now))
        #expect(usage.admit("team", a, size: 30, limit: 100).ticket != nil)
        usage.add("team", a, size: 30)
        usage.invalidate("team")
        // Linked before this listing began: the listing saw it, or it was deleted since.
        #expect(usage.store("team", count([:], at: .now)).bytes == 0)
    }

    @Test func aFailedPushGivesItsAdmissionBackAndALinkedOneKeepsIt() throws {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        usage.store("team", count([:], at: .now))
        let pushOfA = try #require(usage.admit("team", a, size: 60, limit: 100).ticket)
        #expect(usage.admit("team", b, size: 60, limit: 100) == .full(held: 60))
        usage.release("team", a, ticket: pushOfA)
        let pushOfB = try #require(usage.admit("team", b, size: 60, limit: 100).ticket)
        usage.add("team", b, size: 60)
        usage.release("team", b, ticket: pushOfB)
        #expect(usage.current("team")?.bytes == 60)
    }

    @Test func aFailedPushKeepsTheAdmissionAnotherPushOfTheSameBlobHolds() throws {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        usage.store("team", count([:], at: .now))
        let first = try #require(usage.admit("team", a, size: 60, limit: 100).ticket)
        #expect(usage.admit("team", a, size: 60, limit: 100).ticket == first)
        usage.release("team", a, ticket: first)
        // The second push of a is still on its way: its bytes stay counted.
        #expect(usage.admit("team", b, size: 60, limit: 100) == .full(held: 60))
        usage.release("team", a, ticket: first)
        #expect(usage.admit("team", b, size: 60, limit: 100).ticket != nil)
        // A blob linked already holds nothing a push could give back.
        usage.add("team", b, size: 60)
        #expect(usage.admit("team", b, size: 60, limit: 100) == .present)
    }

    @Test func aPushSharesAPendingAdmissionEvenWhenTheCountCannotDecide() throws {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        usage.store("team", count([:], at: .now))
        let first = try #require(usage.admit("team", a, size: 60, limit: 100).ticket)
        usage.invalidate("team")
        #expect(usage.admit("team", a, size: 60, limit: 100).ticket == first)
        #expect(usage.admit("team", b, size: 10, limit: 100) == .uncounted)
        // The first push fails; the second still holds a's bytes in every recount.
        usage.release("team", a, ticket: first)
        #expect(usage.store("team", count([:], at: .now)).bytes == 60)
    }

    @Test func aPushNeverGivesBackTheAdmissionThatReplacedItsOwn() async throws {
        // Past the bound a recount drops a pending admission (its push may have died), and
        // the next push of that blob is admitted anew.
        let usage = NamespaceUsage(lifetime: .seconds(60), pendingBound: .milliseconds(1))
        usage.store("team", count([:], at: .now))
        let stalled = try #require(usage.admit("team", a, size: 60, limit: 100).ticket)
        try await Task.sleep(for: .milliseconds(5))
        usage.store("team", count([:], at: .now))
        let next = try #require(usage.admit("team", a, size: 60, limit: 100).ticket)
        #expect(next != stalled)
        // The stalled push fails at last: the newer push's bytes stay counted.
        usage.release("team", a, ticket: stalled)
        #expect(usage.current("team")?.bytes == 60)
        usage.release("team", a, ticket: next)
        #expect(usage.current("team")?.bytes == 0)
    }

    @Test func aRecountListedBeforeADeletionDecidesNothing() {
        let usage = NamespaceUsage(lifetime: .seconds(60))
        let beforeDeletion = ContinuousClock.now
        usage.store("team", count([b: 50], at: .now))
        usage.invalidate("team")
        // Its listing may still hold the deleted blob: kept, but not trusted.
        #expect(usage.store("team", count([b: 50], at: beforeDeletion)).invalidatedAt != nil)
        #expect(usage.current("team") == nil)
        #expect(usage.admit("team", a, size: 30, limit: 100) == .uncounted)
        #expect(usage.store("team", count([:], at: .now)).invalidatedAt == nil)
        #expect(usage.current("team")?.bytes == 0)
    }
}
