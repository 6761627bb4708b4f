import Foundation
import NIOCore
import TestSupport
import Testing
@testable import Storage

/// Every driver must behave the same; each test runs against all of them.
@Suite struct StorageDriverTests {
    static let session = UploadLocation(directory: "/up", data: "/up/data")

    static func drivers() -> [any StorageDriver] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pier-storage-\(UUID().uuidString)").path
        return [FileSystemDriver(root: dir), InMemoryDriver()]
    }

    @Test(arguments: drivers())
    func writeThenReadBack(_ driver: any StorageDriver) async throws {
        try await driver.write(Array("one".utf8), to: "/a/b/file")
        try await driver.write(Array("two".utf8), to: "/a/b/file")
        #expect(try await driver.contents(of: "/a/b/file", limit: 10) == Array("two".utf8))
        #expect(try await driver.contents(of: "/a/b/missing", limit: 10) == nil)
        #expect(try await driver.stat("/a/b/file")?.size == 3)
        #expect(try await driver.stat("/a/b")?.isDirectory == true)
        #expect(try await driver.list("/a/b") == ["file"])
        #expect(try await driver.list("/nothing") == nil)
    }

    @Test(arguments: drivers())
    func smallReadsAreBounded(_ driver: any StorageDriver) async throws {
        try await driver.write([UInt8](repeating: 1, count: 100), to: "/big")
        await #expect(throws: StorageError.self) { try await driver.contents(of: "/big", limit: 10) }
    }

    @Test(arguments: drivers())
    func refusesPathTricks(_ driver: any StorageDriver) async throws {
        await #expect(throws: StorageError.self) { try await driver.write([1], to: "/a/../../etc/x") }
        await #expect(throws: StorageError.self) { try await driver.stat("relative") }
    }

    @Test(arguments: drivers())
    func uploadsGrowAcrossRequestsAndCommitWhole(_ driver: any StorageDriver) async throws {
        let first = try await driver.openUpload(Self.session, destination: nil)
        try await first.append(ByteBuffer(string: "hello "))
        try await first.save()
        #expect(try await driver.uploadSize(Self.session) == 6)
        let second = try await driver.openUpload(Self.session, destination: nil)
        #expect(second.size == 6)
        try await second.append(ByteBuffer(string: "world"))
        try await second.commit(to: "/blob/data")
        #expect(try await driver.contents(of: "/blob/data", limit: 100) == Array("hello world".utf8))
        let collected = Collector()
        try await driver.read("/blob/data", range: 6..<9) { collected.add($0) }
        #expect(collected.string == "wor")
    }

    @Test(arguments: drivers())
    func aDiscardedChunkLeavesTheSessionAsAcknowledged(_ driver: any StorageDriver) async throws {
        let first = try await driver.openUpload(Self.session, destination: nil)
        try await first.append(ByteBuffer(string: "kept"))
        try await first.save()
        let second = try await driver.openUpload(Self.session, destination: nil)
        try await second.append(ByteBuffer(string: "lost"))
        await second.discard()
        #expect(try await driver.uploadSize(Self.session) == 4)
        let third = try await driver.openUpload(Self.session, destination: nil)
        try await third.commit(to: "/up/data")
        #expect(try await driver.contents(of: "/up/data", limit: 100) == Array("kept".utf8))
        try await driver.deleteUpload(Self.session)
        #expect(try await driver.stat("/up") == nil)
    }

    @Test(arguments: drivers())
    func moveReplacesAndDeleteRemovesTrees(_ driver: any StorageDriver) async throws {
        try await driver.write([1], to: "/src/f")
        try await driver.write([2], to: "/dst/f")
        try await driver.move(from: "/src/f", to: "/dst/f")
        #expect(try await driver.contents(of: "/dst/f", limit: 1) == [1])
        #expect(try await driver.stat("/src/f") == nil)
        try await driver.write([3], to: "/dst/deep/g")
        try await driver.delete("/dst")
        #expect(try await driver.stat("/dst") == nil)
        try await driver.delete("/dst")
    }

    @Test func filesystemWritesLeaveNoTemporaryFiles() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pier-fs-\(UUID().uuidString)").path
        let driver = FileSystemDriver(root: dir)
        for i in 0..<5 { try await driver.write(Array("\(i)".utf8), to: "/x/link") }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/x")
        #expect(names == ["link"])
    }
}

final class Collector: @unchecked Sendable {
    private var bytes = [UInt8]()
    func add(_ buffer: ByteBuffer) { bytes.append(contentsOf: buffer.readableBytesView) }
    var string: String { String(decoding: bytes, as: UTF8.self) }
}
