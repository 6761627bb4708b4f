import NIOCore

/// An upload session on the local filesystem: its bytes grow in the file at the session's
/// `UploadLocation.data` and are renamed into place on commit, so a commit costs no copy.
final class FileUpload: StorageUpload {
    private let driver: FileSystemDriver
    private let path: String
    private let appender: FileAppender
    /// The acknowledged size when this request began; a failed chunk is cut back to it.
    private let startSize: Int64

    init(driver: FileSystemDriver, path: String, appender: FileAppender) {
        self.driver = driver
        self.path = path
        self.appender = appender
        self.startSize = appender.size
    }

    var size: Int64 { appender.size }

    func append(_ buffer: ByteBuffer) async throws {
        try await appender.append(buffer)
    }

    /// Not fsynced: an acknowledged chunk lost to a power cut shows as a shorter session,
    /// and the client resumes from the size it is told.
    func save() async throws {
        try await appender.finish(durable: false)
    }

    func discard() async {
        await appender.abandon()
        try? await driver.truncate(path, to: startSize)
    }

    func commit(to destination: String) async throws {
        try await appender.finish(durable: true)
        if destination != path {
            try await driver.move(from: path, to: destination)
        }
    }

    func cancel() async {
        await appender.abandon()
        try? await driver.delete(path)
    }
}
