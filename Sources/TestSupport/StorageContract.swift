import Foundation
import NIOCore
public import Storage

/// The behaviour every storage driver owes the registry, as one suite of checks that each
/// driver's tests run against it (as distribution's driver `testsuites` do): the
/// filesystem, the in-memory driver and S3 must all pass the same checks, so the registry
/// above them can never tell them apart.
public enum StorageContract {
    /// What a check needs of the driver under test.
    public struct Subject: Sendable {
        /// The driver, over an empty store.
        public var driver: any StorageDriver
        /// A new driver over the same store: a restart, or another instance sharing it.
        public var reopen: @Sendable () -> any StorageDriver
        /// Where the driver's upload sessions cut their bytes (an object store's part
        /// size); sizes around it are where sessions break.
        public var boundary: Int

        /// The driver under test, how to reopen its store, and where its sessions cut.
        public init(driver: any StorageDriver, reopen: @escaping @Sendable () -> any StorageDriver, boundary: Int) {
            self.driver = driver
            self.reopen = reopen
            self.boundary = boundary
        }
    }

    /// One named check, so a failure says which promise a driver broke.
    public struct Check: Sendable, CustomStringConvertible {
        /// The promise, in words.
        public let description: String
        /// Runs the check; throws a ``Violation`` (or the driver's error) when it fails.
        public let run: @Sendable (Subject) async throws -> Void
    }

    /// Why a driver broke the contract.
    public struct Violation: Error, CustomStringConvertible {
        /// What the driver did instead.
        public let description: String
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw Violation(description: message()) }
    }

    static func requireThrows(_ message: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            return
        }
        throw Violation(description: message)
    }

    /// Deterministic bytes that differ at every offset a bug might confuse.
    static func bytes(_ count: Int, seed: Int = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31) &+ ($0 >> 8) &+ seed) }
    }

    static func read(_ driver: any StorageDriver, _ path: String, _ range: Range<Int64>? = nil) async throws -> [UInt8] {
        var collected = [UInt8]()
        try await driver.read(path, range: range) { collected.append(contentsOf: $0.readableBytesView) }
        return collected
    }

    static func upload(_ session: UploadLocation, _ driver: any StorageDriver, _ chunks: [[UInt8]]) async throws -> Int64 {
        let upload = try await driver.openUpload(session, destination: nil)
        for chunk in chunks { try await upload.append(ByteBuffer(bytes: chunk)) }
        try await upload.save()
        return upload.size
    }

    static let session = UploadLocation(directory: "/sessions/s1", data: "/sessions/s1/data")

    /// Every check of the contract.
    public static let checks: [Check] = [
        Check(description: "a write replaces a file atomically and reads back") { subject in
            let driver = subject.driver
            try await driver.write(Array("one".utf8), to: "/a/b/file")
            try await driver.write(Array("two".utf8), to: "/a/b/file")
            try require(try await driver.contents(of: "/a/b/file", limit: 10) == Array("two".utf8), "overwrite not read back")
            try require(try await driver.contents(of: "/a/b/missing", limit: 10) == nil, "a missing file has contents")
            try require(try await driver.stat("/a/b/file")?.size == 3, "stat size")
            try require(try await driver.stat("/a/b")?.isDirectory == true, "a parent is not a directory")
            try require(try await driver.fileInfo("/a/b/file")?.size == 3, "fileInfo size")
            try require(try await driver.fileInfo("/a/b") == nil, "fileInfo of a directory is not nil")
            try require(try await driver.fileInfo("/a/nothing") == nil, "fileInfo of nothing is not nil")
        },
        Check(description: "listings name direct children once, nil for nothing") { subject in
            let driver = subject.driver
            try await driver.write([1], to: "/l/x")
            try await driver.write([2], to: "/l/sub/y")
            try await driver.write([3], to: "/l/sub/z")
            try require(try await driver.list("/l")?.sorted() == ["sub", "x"], "list of /l")
            try require(try await driver.list("/l/sub")?.sorted() == ["y", "z"], "list of /l/sub")
            try require(try await driver.list("/nothing") == nil, "list of nothing is not nil")
        },
        Check(description: "a recursive listing names every file below, with its size and time, and no directories") { subject in
            let driver = subject.driver
            try await driver.write([1], to: "/r/x")
            try await driver.write([2, 2], to: "/r/sub/y")
            try await driver.write([3, 3, 3], to: "/r/sub/deeper/z")
            try await driver.write([9], to: "/rest/outside")
            let files = try await driver.listFiles(under: "/r").sorted { $0.path < $1.path }
            try require(files.map(\.path) == ["sub/deeper/z", "sub/y", "x"], "listFiles of /r: \(files.map(\.path))")
            try require(files.map(\.size) == [3, 2, 1], "listFiles sizes")
            let stat = try await driver.fileInfo("/r/sub/y")
            try require(files[1].modified == stat?.modified || abs(files[1].modified - (stat?.modified ?? 0)) < 1, "listFiles time")
            let skipped = try await driver.listFiles(under: "/r", skipping: ["deeper"]).map(\.path).sorted()
            try require(skipped == ["sub/y", "x"], "listFiles skipping deeper: \(skipped)")
            try await driver.delete("/r/sub")
            try require(try await driver.listFiles(under: "/r").map(\.path) == ["x"], "listFiles after a delete")
            try require(try await driver.listFiles(under: "/nothing").isEmpty, "listFiles of nothing")
        },
        Check(description: "a listing after a name gives the later names, sorted") { subject in
            let driver = subject.driver
            for name in ["003-c", "001-a", "002-b", "010-x"] { try await driver.write([], to: "/j/\(name)") }
            try require(try await driver.list("/j", after: "002") == ["002-b", "003-c", "010-x"], "list after 002")
            try require(try await driver.list("/j", after: "003-c") == ["010-x"], "list after 003-c")
            try require(try await driver.list("/j", after: "999").isEmpty, "list after the last")
            try require(try await driver.list("/nothing", after: "").isEmpty, "list of nothing")
        },
        Check(description: "small reads are bounded") { subject in
            try await subject.driver.write(bytes(100), to: "/big")
            try await requireThrows("a read past its limit succeeded") { _ = try await subject.driver.contents(of: "/big", limit: 10) }
        },
        Check(description: "paths that climb out are refused") { subject in
            try await requireThrows("a write to /../x succeeded") { try await subject.driver.write([1], to: "/a/../../x") }
            try await requireThrows("a relative path was accepted") { _ = try await subject.driver.stat("relative") }
        },
        Check(description: "reads stream whole files and ranges, and a missing file is notFound") { subject in
            let driver = subject.driver
            let content = bytes(subject.boundary * 2 + 17)
            try await driver.write(content, to: "/r/blob")
            try require(try await read(driver, "/r/blob") == content, "whole read differs")
            let start = Int64(subject.boundary - 3)
            let end = Int64(subject.boundary * 2 + 5)
            try require(try await read(driver, "/r/blob", start..<end) == Array(content[Int(start)..<Int(end)]), "range read differs")
            try require(try await read(driver, "/r/blob", 0..<1) == [content[0]], "first byte differs")
            // The whole file as an explicit range, as a pull asks for it.
            try require(try await read(driver, "/r/blob", 0..<Int64(content.count)) == content, "whole read by range differs")
            for range: Range<Int64>? in [nil, 0..<Int64(subject.boundary * 2)] {
                do {
                    _ = try await read(driver, "/r/missing", range)
                    throw Violation(description: "reading a missing file succeeded")
                } catch StorageError.notFound {}
            }
        },
        Check(description: "a reader that stops early gets its own error back, and the driver reads on") { subject in
            struct Stop: Error {}
            let driver = subject.driver
            let content = bytes(subject.boundary * 2 + 9, seed: 9)
            try await driver.write(content, to: "/early/blob")
            for _ in 0..<3 {
                do {
                    try await driver.read("/early/blob", range: 0..<Int64(content.count)) { _ in throw Stop() }
                    throw Violation(description: "a read whose reader threw succeeded")
                } catch is Stop {}
            }
            try require(try await read(driver, "/early/blob", 0..<Int64(content.count)) == content, "a read after readers stopped differs")
        },
        Check(description: "a move replaces its destination and a delete removes a tree") { subject in
            let driver = subject.driver
            try await driver.write([1], to: "/m/a")
            try await driver.write([2], to: "/m/b")
            try await driver.move(from: "/m/a", to: "/m/b")
            try require(try await driver.contents(of: "/m/b", limit: 10) == [1], "move did not replace")
            try require(try await driver.fileInfo("/m/a") == nil, "move left its source")
            try await driver.write([3], to: "/t/x/y")
            try await driver.delete("/t")
            try require(try await driver.fileInfo("/t/x/y") == nil, "delete left a file of the tree")
            try await driver.delete("/t")
        },
        Check(description: "a session grows across requests and across a restart, then commits whole") { subject in
            let boundary = subject.boundary
            let first = bytes(boundary - 1, seed: 1)
            let second = bytes(2, seed: 2)  // crosses the boundary
            let third = bytes(boundary + 7, seed: 3)  // a whole part and a tail
            try require(try await upload(session, subject.driver, [first]) == Int64(first.count), "size after the first request")
            try require(try await upload(session, subject.driver, [second]) == Int64(boundary + 1), "size after crossing the boundary")
            let restarted = subject.reopen()
            try require(try await restarted.uploadSize(session) == Int64(boundary + 1), "size seen after a restart")
            let upload = try await restarted.openUpload(session, destination: nil)
            try await upload.append(ByteBuffer(bytes: Array(third[..<5])))
            try await upload.append(ByteBuffer(bytes: Array(third[5...])))
            try await upload.commit(to: "/blobs/whole")
            try require(try await read(restarted, "/blobs/whole") == first + second + third, "committed bytes differ")
            try await restarted.deleteUpload(session)
            try require(try await restarted.uploadSize(session) == 0, "a deleted session still has bytes")
        },
        Check(description: "sizes at, below and above the boundary commit exactly") { subject in
            for (index, size) in [0, 1, subject.boundary - 1, subject.boundary, subject.boundary + 1, subject.boundary * 2].enumerated() {
                let location = UploadLocation(directory: "/edge/\(index)", data: "/edge/\(index)/data")
                let content = bytes(size, seed: index)
                let upload = try await subject.driver.openUpload(location, destination: nil)
                try await upload.append(ByteBuffer(bytes: content))
                try require(upload.size == Int64(size), "size \(size) while appending")
                try await upload.commit(to: "/edge-blobs/\(index)")
                try require(try await read(subject.driver, "/edge-blobs/\(index)") == content, "a \(size)-byte session committed other bytes")
                try await subject.driver.deleteUpload(location)
            }
        },
        Check(description: "a discarded chunk leaves the session as acknowledged") { subject in
            let kept = bytes(subject.boundary + 3, seed: 4)
            _ = try await upload(session, subject.driver, [kept])
            let broken = try await subject.driver.openUpload(session, destination: nil)
            try await broken.append(ByteBuffer(bytes: bytes(subject.boundary, seed: 5)))
            await broken.discard()
            try require(try await subject.driver.uploadSize(session) == Int64(kept.count), "a discarded chunk changed the size")
            let resumed = try await subject.reopen().openUpload(session, destination: nil)
            try require(resumed.size == Int64(kept.count), "a reopened session has the wrong size")
            try await resumed.append(ByteBuffer(bytes: [9]))
            try await resumed.commit(to: "/blobs/resumed")
            try require(try await read(subject.driver, "/blobs/resumed") == kept + [9], "a resumed session committed other bytes")
            try await subject.driver.deleteUpload(session)
        },
        Check(description: "a session opened for its destination commits there") { subject in
            let content = bytes(subject.boundary * 2 + 1, seed: 6)
            let upload = try await subject.driver.openUpload(session, destination: "/blobs/direct")
            try await upload.append(ByteBuffer(bytes: content))
            try await upload.commit(to: "/blobs/direct")
            try require(try await read(subject.driver, "/blobs/direct") == content, "a direct commit differs")
            try await subject.driver.deleteUpload(session)
        },
        Check(description: "a cancelled session leaves nothing, and deleting it twice is fine") { subject in
            _ = try await upload(session, subject.driver, [bytes(subject.boundary + 1, seed: 7)])
            let upload = try await subject.driver.openUpload(session, destination: nil)
            try await upload.append(ByteBuffer(bytes: bytes(subject.boundary, seed: 8)))
            await upload.cancel()
            try await subject.driver.deleteUpload(session)
            try await subject.driver.deleteUpload(session)
            try require(try await subject.driver.uploadSize(session) == 0, "a cancelled session has bytes")
            try require(try await subject.driver.fileInfo(session.data) == nil, "a cancelled session left its data")
        },
    ]
}
