import NIOCore
import Synchronization
import Testing
@testable import Mirror

@Suite struct ChunkRelayTests {
    func chunk(_ size: Int, _ byte: UInt8 = 1) -> ByteBuffer {
        ByteBuffer(repeating: byte, count: size)
    }

    /// Pacing an hour here and below: on a loaded machine the client's reads can add up to
    /// the default 2 s, and detaching is not what these tests are about.
    @Test func theClientReadsEveryChunkInOrderThenTheEnd() async throws {
        let relay = ChunkRelay(limit: 1024, pacing: .seconds(3600))
        let producer = Task {
            for i in 0..<100 { await relay.send(chunk(100, UInt8(i))) }
            relay.finish(nil)
        }
        var seen = [UInt8]()
        while let next = try await relay.next() { seen.append(next.readableBytesView.first ?? 0) }
        await producer.value
        #expect(seen == (0..<100).map { UInt8($0) })
    }

    @Test func theProducerWaitsForASlowClientAndHoldsAtMostTheLimit() async throws {
        let relay = ChunkRelay(limit: 1000, pacing: .seconds(3600))
        let sent = Mutex(0)
        let producer = Task {
            for _ in 0..<50 {
                await relay.send(chunk(100))
                sent.withLock { $0 += 1 }
            }
            relay.finish(nil)
        }
        // Ten chunks reach the limit; the eleventh send waits for the client, however long.
        for _ in 0..<500 where sent.withLock({ $0 }) < 10 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.withLock { $0 } == 10)
        var received = 0
        while let next = try await relay.next() { received += next.readableBytes }
        await producer.value
        #expect(received == 5000)
    }

    @Test func aClientThatLeavesNeverHoldsTheTransferBack() async {
        let relay = ChunkRelay(limit: 100)
        let producer = Task {
            for _ in 0..<1000 { await relay.send(chunk(100)) }
            relay.finish(nil)
        }
        try? await Task.sleep(for: .milliseconds(50))
        relay.abandon()
        await producer.value
    }

    @Test func aFailedTransferReachesTheClientAfterWhatArrived() async throws {
        struct Cut: Error {}
        let relay = ChunkRelay()
        await relay.send(chunk(10))
        relay.finish(Cut())
        #expect(try await relay.next()?.readableBytes == 10)
        await #expect(throws: Cut.self) { try await relay.next() }
    }

    @Test func aClientWaitingForAChunkWakesAtTheEnd() async throws {
        let relay = ChunkRelay()
        let reader = Task { try await relay.next() }
        try await Task.sleep(for: .milliseconds(50))
        relay.finish(nil)
        #expect(try await reader.value == nil)
    }

    @Test func aClientThatStopsReadingIsDetachedAndTheTransferGoesOn() async throws {
        let relay = ChunkRelay(limit: 100, pacing: .milliseconds(200))
        let producer = Task {
            for _ in 0..<1000 { await relay.send(chunk(100)) }
            relay.finish(nil)
        }
        #expect(try await relay.next()?.readableBytes == 100)
        // The client takes nothing more: the transfer ends without it, however long that takes.
        await producer.value
        // What was buffered is still the client's, then it is sent to the cache.
        var received = 100
        await #expect(throws: ChunkRelay.Detached.self) {
            while let next = try await relay.next() { received += next.readableBytes }
        }
        #expect(received > 100 && received < 1000 * 100)
    }

    @Test func aSlowClientIsDetachedOnceTheTransferHasWaitedThePacingInAll() async throws {
        let relay = ChunkRelay(limit: 100, pacing: .milliseconds(300))
        let producer = Task {
            for _ in 0..<1000 { await relay.send(chunk(100)) }
            relay.hold(chunk(7))
            relay.finish(nil)
        }
        // Each read is a short pause of the kind a busy client makes, none of them near the
        // pacing, but together they are: the client is detached and gets a prefix of the blob.
        var received = 0
        await #expect(throws: ChunkRelay.Detached.self) {
            while let next = try await relay.next() {
                received += next.readableBytes
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        await producer.value
        #expect(received % 100 == 0 && received < 1000 * 100)
    }

    @Test func aDetachedClientWaitingForAChunkIsSentToTheCache() async throws {
        let relay = ChunkRelay()
        let reader = Task { try await relay.next() }
        try await Task.sleep(for: .milliseconds(50))
        relay.detach()
        await #expect(throws: ChunkRelay.Detached.self) { try await reader.value }
        // The producer never waits for it again.
        for _ in 0..<1000 { await relay.send(chunk(100 * 1024)) }
        relay.finish(nil)
    }

    @Test func aClientLeftWaitingIsWokenWithAnError() async throws {
        let relay = ChunkRelay()
        let reader = Task { try await relay.next() }
        try await Task.sleep(for: .milliseconds(50))
        relay.abandon()
        await #expect(throws: ChunkRelay.Abandoned.self) { try await reader.value }
    }
}
