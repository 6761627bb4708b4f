import Synchronization
import Testing
@testable import Mirror

@Suite struct SingleFlightTests {
    @Test func callersAskingAtOnceShareOneRunAndTheNextCallerRunsAgain() async throws {
        let flights = SingleFlight<Int>()
        let runs = Mutex(0)
        let work: @Sendable () async throws -> Int = {
            let run = runs.withLock { $0 += 1; return $0 }
            try await Task.sleep(for: .milliseconds(100))
            return run
        }
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<8 { group.addTask { let (value, started) = try await flights.run("k", work); return (value, started) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.0 == 1 })
        #expect(results.filter(\.1).count == 1)
        #expect(try await flights.run("k", work).0 == 2)
        #expect(try await flights.run("other", work).0 == 3)
    }

    @Test func aFailureReachesEveryCallerAndIsNotKept() async throws {
        struct Down: Error {}
        let flights = SingleFlight<Int>()
        await #expect(throws: Down.self) { try await flights.run("k") { throw Down() } }
        #expect(try await flights.run("k") { 7 }.0 == 7)
    }
}
