import Foundation
import NIOCore
import Storage
import TestSupport
import Testing

/// The storage contract, run against the filesystem and the in-memory driver (S3Tests runs
/// it against S3), plus what only the filesystem promises.
@Suite struct StorageDriverTests {
    @Test(arguments: StorageContract.checks)
    func theFilesystemDriverKeepsTheContract(_ check: StorageContract.Check) async throws {
        let root = TestDrivers.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await check.run(.init(driver: FileSystemDriver(root: root), reopen: { FileSystemDriver(root: root) }, boundary: 64 << 10))
    }

    @Test(arguments: StorageContract.checks)
    func theInMemoryDriverKeepsTheContract(_ check: StorageContract.Check) async throws {
        let driver = InMemoryDriver()
        try await check.run(.init(driver: driver, reopen: { driver }, boundary: 64 << 10))
    }

    @Test func filesystemWritesLeaveNoTemporaryFiles() async throws {
        let dir = TestDrivers.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let driver = FileSystemDriver(root: dir)
        for i in 0..<5 { try await driver.write(Array("\(i)".utf8), to: "/x/link") }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/x")
        #expect(names == ["link"])
    }

    @Test func aFilesystemReadsChunksStayIntactWhileTheirConsumerHoldsThem() async throws {
        // The driver reads the next chunks into the buffers of those before; a consumer that
        // keeps every chunk (as a retrying client or a cache might) must still see each as read.
        let dir = TestDrivers.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let driver = FileSystemDriver(root: dir)
        let size = 4 * FileSystemDriver.readChunkSize + 4321
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 / 1000 &+ $0) }
        try await driver.write(content, to: "/r/blob")
        var held: [ByteBuffer] = []
        try await driver.read("/r/blob", range: nil) { held.append($0) }
        #expect(held.count == 5)
        #expect(held.flatMap { Array($0.readableBytesView) } == content)
    }
}
