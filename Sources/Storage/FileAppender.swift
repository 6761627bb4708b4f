#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemShims
import NIOCore

/// Appends to a local file, batching small network chunks into large writes.
///
/// Writes are pipelined: while one batch is written on the I/O pool the next is received
/// and hashed. Each written range is handed to the kernel for write-back at once
/// (`sync_file_range`), so the fsync that makes an upload durable finds little left to do.
final class FileAppender {
    private let fd: Int32
    private let path: String
    private var pending: ByteBuffer
    /// The write in flight; it hands its buffer back when done.
    private var inFlight: Task<ByteBuffer, any Error>?
    /// A finished batch's buffer, reused for the next one: a fresh 1 MiB buffer each time
    /// would be a new mapping to fault in page by page (a tenth of a large push's CPU).
    private var spare: ByteBuffer?
    private var written: Int64
    private var closed = false
    private(set) var size: Int64

    static let batchSize = 1 << 20

    init(fd: Int32, path: String, size: Int64) {
        self.fd = fd
        self.path = path
        self.size = size
        self.written = size
        self.pending = ByteBufferAllocator().buffer(capacity: Self.batchSize)
    }

    /// Callers end every appender with ``finish(durable:)`` or ``abandon()``, which wait for
    /// the write in flight; this only guards against a forgotten one.
    deinit {
        if !closed { close(fd) }
    }

    func append(_ buffer: ByteBuffer) async throws {
        size += Int64(buffer.readableBytes)
        if pending.readableBytes == 0, buffer.readableBytes >= Self.batchSize {
            try await submit(buffer)
            return
        }
        var buffer = buffer
        pending.writeBuffer(&buffer)
        if pending.readableBytes >= Self.batchSize {
            let out = pending
            pending = ByteBuffer()
            try await submit(out)
            if var reused = spare.take(), reused.capacity >= Self.batchSize {
                reused.clear()
                pending = reused
            } else {
                pending = ByteBufferAllocator().buffer(capacity: Self.batchSize)
            }
        }
    }

    /// Waits for the previous batch, then starts writing this one without waiting for it.
    private func submit(_ buffer: ByteBuffer) async throws {
        spare = try await inFlight?.value
        let fd = fd
        let path = path
        let offset = written
        written += Int64(buffer.readableBytes)
        inFlight = Task {
            try await FileSystemDriver.run {
                try buffer.withUnsafeReadableBytes { try FileSystemDriver.writeAll(fd, $0, path: path) }
                _ = pier_start_writeback(fd, off_t(offset), off_t(buffer.readableBytes))
            }
            return buffer
        }
    }

    func finish(durable: Bool) async throws {
        guard !closed else { return }
        if pending.readableBytes > 0 {
            let out = pending
            pending.clear()
            try await submit(out)
        }
        _ = try await inFlight?.value
        inFlight = nil
        spare = nil
        let fd = fd
        let path = path
        closed = true
        // Closed here rather than in the pool job, which a cancelled task may never run.
        defer { close(fd) }
        try await FileSystemDriver.run {
            if durable, fsync(fd) != 0 { throw StorageError.io(path, operation: "fsync", errno: errno) }
        }
    }

    func abandon() async {
        guard !closed else { return }
        _ = try? await inFlight?.value
        closed = true
        close(fd)
    }
}
