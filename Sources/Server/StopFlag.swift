import Synchronization

/// A request to stop at the next safe point, for work that must not be cut where Swift's
/// cancellation would cut it (a garbage collection's batch): set from a cancellation
/// handler, read by the work between its steps.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() {
        flag.store(true, ordering: .releasing)
    }

    var isSet: Bool {
        flag.load(ordering: .acquiring)
    }
}
