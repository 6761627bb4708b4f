public import Storage
public import NIOCore
import Synchronization

/// Keeps everything in a dictionary. For unit tests: fast, isolated, and it proves the
/// layers above the driver never assume a local file.
public final class InMemoryDriver: StorageDriver {
    private struct Entry {
        var bytes: [UInt8]
        var modified: Double
    }

    private let files = Mutex<[String: Entry]>([:])
    /// The clock used for modification times; tests move it to age upload sessions.
    private let clock: @Sendable () -> Double

    public var name: String { "inmemory" }

    public init(clock: @escaping @Sendable () -> Double = { 0 }) {
        self.clock = clock
    }

    private func check(_ path: String) throws {
        try StoragePath.check(path)
    }

    public func contents(of path: String, limit: Int) async throws -> [UInt8]? {
        try check(path)
        guard let bytes = files.withLock({ $0[path]?.bytes }) else { return nil }
        if bytes.count > limit { throw StorageError.tooLarge(path, limit: limit) }
        return bytes
    }

    public func write(_ bytes: [UInt8], to path: String, durable: Bool) async throws {
        try check(path)
        let now = clock()
        files.withLock { $0[path] = Entry(bytes: bytes, modified: now) }
    }

    public func stat(_ path: String) async throws -> StorageEntryInfo? {
        try check(path)
        return files.withLock { files in
            if let entry = files[path] {
                return StorageEntryInfo(size: Int64(entry.bytes.count), isDirectory: false, modified: entry.modified)
            }
            let prefix = path + "/"
            let children = files.filter { $0.key.hasPrefix(prefix) }
            guard !children.isEmpty else { return nil }
            return StorageEntryInfo(size: 0, isDirectory: true, modified: children.map(\.value.modified).max() ?? 0)
        }
    }

    public func list(_ path: String) async throws -> [String]? {
        try check(path)
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return files.withLock { files in
            var names = Set<String>()
            for key in files.keys where key.hasPrefix(prefix) {
                if let name = key.dropFirst(prefix.count).split(separator: "/").first {
                    names.insert(String(name))
                }
            }
            return names.isEmpty ? nil : Array(names)
        }
    }

    public func delete(_ path: String) async throws {
        try check(path)
        let prefix = path + "/"
        files.withLock { files in
            files[path] = nil
            for key in files.keys where key.hasPrefix(prefix) { files[key] = nil }
        }
    }

    public func move(from source: String, to destination: String) async throws {
        try check(source)
        try check(destination)
        try files.withLock { files in
            guard let entry = files.removeValue(forKey: source) else { throw StorageError.notFound(source) }
            files[destination] = entry
        }
    }

    public func read(
        _ path: String,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws {
        try check(path)
        guard let bytes = files.withLock({ $0[path]?.bytes }) else { throw StorageError.notFound(path) }
        let lower = Int(range?.lowerBound ?? 0)
        let upper = min(Int(range?.upperBound ?? Int64(bytes.count)), bytes.count)
        guard lower < upper else { return }
        try await body(ByteBuffer(bytes: bytes[lower..<upper]))
    }

    public func localFile(_ path: String) -> String? { nil }

    public func openUpload(_ session: UploadLocation, destination: String?) async throws -> any StorageUpload {
        let path = session.data
        try check(path)
        let size = files.withLock { Int64($0[path]?.bytes.count ?? 0) }
        return MemoryUpload(driver: self, path: path, size: size)
    }

    public func uploadSize(_ session: UploadLocation) async throws -> Int64 {
        try await stat(session.data)?.size ?? 0
    }

    fileprivate func append(_ bytes: [UInt8], to path: String) {
        let now = clock()
        files.withLock { files in
            var entry = files[path] ?? Entry(bytes: [], modified: now)
            entry.bytes.append(contentsOf: bytes)
            entry.modified = now
            files[path] = entry
        }
    }
}

/// Holds a request's chunk apart until it is saved, so a discarded chunk never shows.
private final class MemoryUpload: StorageUpload {
    let driver: InMemoryDriver
    let path: String
    private var pending: [UInt8] = []
    private var saved: Int64

    init(driver: InMemoryDriver, path: String, size: Int64) {
        self.driver = driver
        self.path = path
        self.saved = size
    }

    var size: Int64 { saved + Int64(pending.count) }

    func append(_ buffer: ByteBuffer) async throws {
        pending.append(contentsOf: buffer.readableBytesView)
    }

    func save() async throws {
        driver.append(pending, to: path)
        saved += Int64(pending.count)
        pending = []
    }

    func discard() async { pending = [] }

    func commit(to destination: String) async throws {
        try await save()
        if destination != path { try await driver.move(from: path, to: destination) }
    }

    func cancel() async {
        pending = []
        try? await driver.delete(path)
    }
}
