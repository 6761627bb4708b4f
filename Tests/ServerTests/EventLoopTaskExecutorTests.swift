import NIOCore
import NIOPosix
import Testing
@testable import Server

@Suite struct EventLoopTaskExecutorTests {
    @Test func aTaskPreferringItRunsOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let onLoop = await withTaskExecutorPreference(EventLoopTaskExecutor(loop: loop)) {
            loop.inEventLoop
        }
        #expect(onLoop)
        try await group.shutdownGracefully()
    }

    @Test func childTasksAndWorkResumedFromOtherThreadsComeBackToTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let other = group.next()
        #expect(loop !== other)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let stayed = await withTaskExecutorPreference(EventLoopTaskExecutor(loop: loop)) {
            await withTaskGroup(of: Bool.self) { tasks in
                for _ in 0..<8 {
                    tasks.addTask {
                        var ok = loop.inEventLoop
                        // Resumed by the other loop, as an S3 response arrives on the
                        // client's loop, and by a pool thread, as file I/O finishes.
                        try? await other.scheduleTask(in: .milliseconds(1)) {}.futureResult.get()
                        ok = ok && loop.inEventLoop
                        _ = try? await pool.runIfActive { 1 }
                        return ok && loop.inEventLoop
                    }
                }
                return await tasks.allSatisfy { $0 }
            }
        }
        #expect(stayed)
        try await pool.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
