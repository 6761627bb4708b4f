import AsyncHTTPClient
import Crypto
import Foundation
public import NIOCore
import NIOHTTP1
public import Storage

/// Keeps registry content in an S3 bucket, under exactly the keys distribution's `s3`
/// driver uses (`<rootdirectory>/docker/registry/v2/...`), so either server serves a bucket
/// the other wrote.
///
/// Objects are written whole (one PUT, or a multipart upload completed at once), so a
/// reader sees the old object or the new one, never a part. Directories do not exist in
/// S3: a "directory" is a key prefix, listed with a delimiter and paged with continuation
/// tokens, never by walking every key below it.
public final class S3Driver: StorageDriver {
    /// distribution's `storage.s3` options that shape how bytes move.
    public struct Options: Sendable {
        /// Size of each multipart part, and the largest blob written with one PUT
        /// (`chunksize`, at least 5 MiB, S3's minimum for a part that is not the last).
        public var chunkSize: Int
        /// Objects larger than this are copied part by part (`multipartcopythresholdsize`).
        public var multipartCopyThreshold: Int64
        /// Part size of such copies (`multipartcopychunksize`).
        public var multipartCopyChunkSize: Int64
        /// Parts of one copy in flight at once (`multipartcopymaxconcurrency`).
        public var multipartCopyMaxConcurrency: Int
        /// Whether blob GETs are answered with a presigned URL (`storage.redirect`).
        public var redirect: Bool
        /// How long a presigned URL stays valid.
        public var redirectExpiry: Int
        /// Encryption, storage class and ACL of every object written.
        public var objects: S3ObjectSettings

        public static let minimumPartSize = 5 << 20

        public init(
            chunkSize: Int = 10 << 20,
            multipartCopyThreshold: Int64 = 32 << 20,
            multipartCopyChunkSize: Int64 = 32 << 20,
            multipartCopyMaxConcurrency: Int = 100,
            redirect: Bool = true,
            redirectExpiry: Int = 20 * 60,
            objects: S3ObjectSettings = S3ObjectSettings()
        ) {
            self.chunkSize = max(chunkSize, Self.minimumPartSize)
            self.multipartCopyThreshold = multipartCopyThreshold
            self.multipartCopyChunkSize = max(multipartCopyChunkSize, Int64(Self.minimumPartSize))
            self.multipartCopyMaxConcurrency = max(1, multipartCopyMaxConcurrency)
            self.redirect = redirect
            self.redirectExpiry = redirectExpiry
            self.objects = objects
        }
    }

    public let client: S3Client
    public let options: Options
    /// The key prefix every path goes under, without slashes at either end ("" for none).
    public let root: String

    public var name: String { "s3" }

    public init(client: S3Client, rootDirectory: String = "", options: Options = Options()) {
        self.client = client
        self.options = options
        var root = Substring(rootDirectory)
        while root.hasPrefix("/") { root = root.dropFirst() }
        while root.hasSuffix("/") { root = root.dropLast() }
        self.root = String(root)
    }

    /// The object key of a driver path, as distribution forms it.
    func key(_ path: String) throws -> String {
        try StoragePath.check(path)
        // On bytes, as the check read it: a `/` and a combining mark are one character.
        let trimmed = Substring(path.utf8.drop(while: { $0 == UInt8(ascii: "/") }))
        return root.isEmpty ? String(trimmed) : root + "/" + trimmed
    }

    // MARK: objects

    public func contents(of path: String, limit: Int) async throws -> [UInt8]? {
        let key = try key(path)
        let response = try await client.send(.GET, key: key)
        switch response.status {
        case 200:
            var buffer = ByteBuffer()
            do {
                for try await chunk in response.body {
                    var chunk = chunk
                    buffer.writeBuffer(&chunk)
                    if buffer.readableBytes > limit { throw StorageError.tooLarge(path, limit: limit) }
                }
            } catch let error as StorageError {
                throw error
            } catch {
                throw StorageError.unavailable(key, reason: "GET body: \(error)")
            }
            return Array(buffer.readableBytesView)
        case 404:
            let text = (try? await response.text(limit: 64 << 10)) ?? ""
            guard Self.isMissingKey(text) else { throw client.failure(status: 404, text: text, "GET", key) }
            return nil
        default:
            throw await client.failure(response, "GET", key)
        }
    }

    /// Whether a GET's 404 says the object is absent: only S3's `NoSuchKey`, or an answer
    /// with no error code to read (a proxy's page). Any other code (`NoSuchBucket`: a
    /// misspelt bucket, or one not created yet) is the store failing, as distribution
    /// treats it; read as absence, it answered `MANIFEST_UNKNOWN` for every tag and logged
    /// nothing.
    static func isMissingKey(_ text: String) -> Bool {
        guard let code = S3XML(text).value("Code") else { return true }
        return code == "NoSuchKey"
    }

    /// The largest object written with a small request's deadline.
    static let smallObject = 1 << 20

    /// One PUT: S3 makes an object visible only once all of it has arrived, and every
    /// object it acknowledges is durable.
    public func write(_ bytes: [UInt8], to path: String, durable: Bool) async throws {
        try await put(ByteBuffer(bytes: bytes), key: key(path))
    }

    func put(_ body: ByteBuffer, key: String) async throws {
        // A small object (a link, a session's state) gets a small request's deadline, and
        // time to send its bytes at 64 KiB/s: a store that hangs held a tag push for a
        // minute, past a balancer's patience, while a slow link still gets a small blob in.
        let timeout: TimeAmount = body.readableBytes <= Self.smallObject
            ? .seconds(10) + .milliseconds(Int64(body.readableBytes) * 1000 / 65536)
            : .minutes(5)
        let response = try await client.send(.PUT, key: key, headers: options.objects.headers, body: body, timeout: timeout)
        guard response.status == 200 else { throw await client.failure(response, "PUT", key) }
        _ = try? await response.text()
    }

    public func stat(_ path: String) async throws -> StorageEntryInfo? {
        if let file = try await fileInfo(path) { return file }
        let page = try await listPage(prefix: try key(path) + "/", delimiter: "/", maxKeys: 1)
        guard !page.keys.isEmpty || !page.prefixes.isEmpty else { return nil }
        return StorageEntryInfo(size: 0, isDirectory: true, modified: page.keys.first?.modified ?? 0)
    }

    public func fileInfo(_ path: String) async throws -> StorageEntryInfo? {
        try await headObject(key(path))
    }

    /// A HEAD answered 404 is taken as absence whatever its cause: it has no body to tell a
    /// missing key from a missing bucket. A missing bucket is told by every GET and listing
    /// (``isMissingKey(_:)``), by the health check's listing and at start
    /// (``bucketState()``).
    func headObject(_ key: String) async throws -> StorageEntryInfo? {
        let response = try await client.send(.HEAD, key: key)
        switch response.status {
        case 200:
            let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
            let modified = response.headers.first(name: "last-modified").flatMap(Self.httpDate)?.timeIntervalSince1970 ?? 0
            return StorageEntryInfo(size: size, isDirectory: false, modified: modified)
        case 404:
            return nil
        default:
            throw await client.failure(response, "HEAD", key)
        }
    }

    public func listFiles(under path: String, skipping: Set<String>) async throws -> [StoredFile] {
        let prefix = try key(path) + "/"
        var files = [StoredFile]()
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, delimiter: nil, token: token)
            // A key ending in "/" is how some stores show a directory whose objects went.
            for entry in page.keys where entry.key.count > prefix.count && !entry.key.hasSuffix("/") {
                let relative = entry.key.dropFirst(prefix.count)
                // A flat listing cannot leave a directory out; its keys are dropped here.
                if !skipping.isEmpty, relative.split(separator: "/").dropLast().contains(where: { skipping.contains(String($0)) }) { continue }
                files.append(StoredFile(path: String(relative), size: entry.size, modified: entry.modified))
            }
            token = page.next
        } while token != nil
        return files
    }

    /// Instances behind one load balancer share a bucket.
    public var isShared: Bool { true }

    public func list(_ path: String, after name: String) async throws -> [String] {
        let prefix = try key(path) + "/"
        var names = [String]()
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, delimiter: "/", token: token, startAfter: token == nil ? prefix + name : nil)
            for entry in page.keys where entry.key.count > prefix.count { names.append(String(entry.key.dropFirst(prefix.count))) }
            for sub in page.prefixes where sub.count > prefix.count + 1 { names.append(String(sub.dropFirst(prefix.count).dropLast())) }
            token = page.next
        } while token != nil
        // Stores that list in their own order (SeaweedFS lists in tree order) still agree
        // with the contract once filtered and sorted here.
        return names.filter { $0 > name }.sorted()
    }

    public func list(_ path: String) async throws -> [String]? {
        let prefix = try key(path) + "/"
        var names = [String]()
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, delimiter: "/", token: token)
            // A folder marker (a key equal to the prefix, as consoles create) names nothing.
            for entry in page.keys where entry.key.count > prefix.count { names.append(String(entry.key.dropFirst(prefix.count))) }
            for sub in page.prefixes where sub.count > prefix.count + 1 { names.append(String(sub.dropFirst(prefix.count).dropLast())) }
            token = page.next
        } while token != nil
        return names.isEmpty ? nil : names
    }

    /// Deletes the object at `path` and every object below it, a thousand per request.
    /// Nothing is deleted that does not exist: on a versioned bucket every DELETE leaves a
    /// delete marker behind.
    public func delete(_ path: String) async throws {
        let key = try key(path)
        if try await headObject(key) != nil {
            let response = try await client.send(.DELETE, key: key)
            guard response.status == 204 || response.status == 200 || response.status == 404 else {
                throw await client.failure(response, "DELETE", key)
            }
            _ = try await response.text()
        }
        var token: String?
        var folders = Set<String>()
        var deletedAny = false
        repeat {
            let page = try await listPage(prefix: key + "/", delimiter: nil, token: token)
            if !page.keys.isEmpty {
                try await deleteObjects(page.keys.map(\.key))
                deletedAny = true
            }
            for object in page.keys {
                // key/a/b/file → key/, key/a/, key/a/b/
                var folder = key + "/"
                folders.insert(folder)
                for component in object.key.dropFirst(folder.count).split(separator: "/").dropLast() {
                    folder += component + "/"
                    folders.insert(folder)
                }
            }
            token = page.next
        } while token != nil
        // Stores that keep directories (SeaweedFS) go on listing an emptied one for a while,
        // which would show a deleted tag. Where the emptied prefix still lists, its folder
        // markers are deleted, deepest first, which ends that at once.
        guard deletedAny, try await listPage(prefix: key, delimiter: "/").prefixes.contains(key + "/") else { return }
        for folder in folders.sorted(by: { $0.count > $1.count }) { await deleteObject(folder) }
    }

    func deleteObjects(_ keys: [String]) async throws {
        var xml = "<Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = ByteBuffer(string: xml)
        let md5 = Data(Insecure.MD5.hash(data: Data(xml.utf8))).base64EncodedString()
        let response = try await client.send(.POST, key: nil, query: [("delete", "")], headers: [("content-md5", md5)], body: body)
        // Quiet: the result lists only failures, as <Error> records.
        _ = try await result(response, "DeleteResult", "DeleteObjects", keys.first ?? "")
    }

    /// A server-side copy, then the source goes: S3 has no rename.
    public func move(from source: String, to destination: String) async throws {
        let from = try key(source)
        guard let info = try await headObject(from) else { throw StorageError.notFound(source) }
        try await copy(from: from, to: key(destination), size: info.size)
        await deleteObject(from)
    }

    /// A server-side copy: one request up to the threshold, parts copied in parallel above.
    func copy(from: String, to: String, size: Int64) async throws {
        let source = "/" + client.endpoint.bucket + "/" + SignatureV4.encode(from, keepSlash: true)
        if size <= options.multipartCopyThreshold {
            let response = try await client.send(
                .PUT, key: to, headers: [("x-amz-copy-source", source)] + options.objects.headers, timeout: .minutes(10)
            )
            _ = try await result(response, "ETag", "CopyObject", to)
            return
        }
        let uploadID = try await createMultipartUpload(to)
        do {
            let chunk = options.multipartCopyChunkSize
            let count = Int((size + chunk - 1) / chunk)
            let etags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var etags = [String](repeating: "", count: count)
                var next = 0
                func start(_ index: Int) {
                    let first = Int64(index) * chunk
                    let last = min(first + chunk, size) - 1
                    group.addTask {
                        let response = try await self.client.send(
                            .PUT, key: to,
                            query: [("partNumber", String(index + 1)), ("uploadId", uploadID)],
                            headers: [("x-amz-copy-source", source), ("x-amz-copy-source-range", "bytes=\(first)-\(last)")],
                            timeout: .minutes(10)
                        )
                        return (index, try await self.result(response, "ETag", "UploadPartCopy", to))
                    }
                }
                while next < min(count, options.multipartCopyMaxConcurrency) { start(next); next += 1 }
                for try await (index, etag) in group {
                    etags[index] = etag
                    if next < count { start(next); next += 1 }
                }
                return etags
            }
            try await completeMultipartUpload(to, uploadID: uploadID, parts: etags.enumerated().map { ($0.offset + 1, $0.element) }, size: size)
        } catch {
            await abortMultipartUpload(to, uploadID: uploadID)
            throw error
        }
    }

    /// Reads at least this long go over a connection of their own
    /// (``S3Client/streamObject(key:headers:into:)``); shorter ones over the pooled client,
    /// where a connection's setup would weigh more than the pieces' overhead.
    static let streamingThreshold: Int64 = 4 << 20

    public func read(
        _ path: String,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws {
        let key = try key(path)
        var headers = [(String, String)]()
        if let range {
            guard !range.isEmpty else { return }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        if let range, range.count >= Self.streamingThreshold, client.streams {
            guard let refusal = try await client.streamObject(key: key, headers: headers, into: body) else { return }
            if refusal.status == 404, Self.isMissingKey(refusal.text) { throw StorageError.notFound(path) }
            throw client.failure(status: refusal.status, text: refusal.text, "GET", key)
        }
        let response = try await client.send(.GET, key: key, headers: headers, timeout: .hours(6))
        switch response.status {
        case 200, 206:
            for try await chunk in response.body { try await body(chunk) }
        case 404:
            let text = (try? await response.text(limit: 64 << 10)) ?? ""
            guard Self.isMissingKey(text) else { throw client.failure(status: 404, text: text, "GET", key) }
            throw StorageError.notFound(path)
        default:
            throw await client.failure(response, "GET", key)
        }
    }

    /// What a listing says of the bucket itself.
    public enum BucketState: Sendable, Equatable {
        /// The store lists it.
        case present
        /// The store says there is no such bucket (`NoSuchBucket`).
        case missing
        /// The store could not be asked, or refused for another reason, given here.
        case unknown(String)
    }

    /// Whether the bucket is there, from one listing of at most one key under the root,
    /// tried once with a short deadline: asked at start, which must not wait out the
    /// retries of a store that is down. A listing rather than HeadBucket: its 404 carries
    /// the code that tells a missing bucket from anything else, and it needs no permission
    /// the registry lacks (ListBucket, which every catalog and tag list uses).
    public func bucketState() async -> BucketState {
        let query: [(String, String)] = [("list-type", "2"), ("prefix", root.isEmpty ? "" : root + "/"), ("max-keys", "1")]
        do {
            let response = try await client.send(.GET, key: nil, query: query, timeout: .seconds(5), tries: 1)
            let text = (try? await response.text(limit: 64 << 10)) ?? ""
            guard response.status != 200 else { return .present }
            let failure = client.failure(status: response.status, text: text, "ListObjectsV2", client.endpoint.bucket)
            return Self.bucketState(status: response.status, text: text, failure: failure)
        } catch {
            return .unknown("\(error)")
        }
    }

    /// The state a listing's answer shows; `failure` describes any answer but a success.
    static func bucketState(status: Int, text: String, failure: StorageError) -> BucketState {
        if status == 200 { return .present }
        if status == 404, S3XML(text).value("Code") == "NoSuchBucket" { return .missing }
        return .unknown("\(failure)")
    }

    public func localFile(_ path: String) -> String? { nil }

    public func shutdown() async {
        await client.shutdown()
    }

    public func redirectURL(for path: String) async throws -> String? {
        guard options.redirect else { return nil }
        return try await client.presignedURL(try key(path), expires: options.redirectExpiry)
    }

    // MARK: uploads

    public func openUpload(_ session: UploadLocation, destination: String?) async throws -> any StorageUpload {
        try await S3Upload.open(driver: self, session: session, destination: destination)
    }

    public func uploadSize(_ session: UploadLocation) async throws -> Int64 {
        try await S3Upload.state(driver: self, directory: session.directory)?.size ?? 0
    }

    public func deleteUpload(_ session: UploadLocation) async throws {
        let directory = session.directory
        if let state = try await S3Upload.state(driver: self, directory: directory), let uploadID = state.uploadID {
            await abortMultipartUpload(state.key, uploadID: uploadID)
        }
        try await delete(directory)
    }

    /// Aborts multipart uploads started before `cutoff` under `path`: a session whose
    /// directory was removed while the store was down leaves one behind, invisible and
    /// billed. A live session's upload is at most as old as the session, which the purge
    /// keeps until the same age.
    public func purgeOrphanedUploads(under path: String, startedBefore cutoff: Date, dryRun: Bool) async throws -> Int {
        let prefix = try key(path) + "/"
        var count = 0
        var markers: (key: String, id: String)?
        repeat {
            var query: [(String, String)] = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.id)] }
            let response = try await client.send(.GET, key: nil, query: query)
            guard response.status == 200 else { throw await client.failure(response, "ListMultipartUploads", prefix) }
            let xml = S3XML(try await response.text())
            for upload in xml.blocks("Upload") {
                guard let key = upload.value("Key"), let id = upload.value("UploadId"),
                      let initiated = upload.value("Initiated").flatMap(Self.isoDate), initiated < cutoff
                else { continue }
                count += 1
                if !dryRun { await abortMultipartUpload(key, uploadID: id) }
            }
            if xml.value("IsTruncated") == "true", let key = xml.value("NextKeyMarker"), let id = xml.value("NextUploadIdMarker") {
                markers = (key, id)
            } else {
                markers = nil
            }
        } while markers != nil
        return count
    }

    /// The value of `element` in a 200 answer. S3 may answer 200 and still report a
    /// failure in the body, and a body that breaks off is no answer: only a document that
    /// arrived whole and holds the element is a success.
    func result(_ response: S3Client.Response, _ element: String, _ operation: String, _ key: String) async throws -> String {
        let text = try await response.text()
        if response.status == 200, !text.contains("<Error>"), let value = S3XML(text).value(element) { return value }
        throw StorageError.store(key, operation: operation, reason: "HTTP \(response.status) " + String(text.prefix(300)))
    }

    /// Deletes one object whatever happens (tidying after the content is safe elsewhere).
    func deleteObject(_ key: String) async {
        if let response = try? await client.send(.DELETE, key: key) { _ = try? await response.text() }
    }

    // MARK: multipart

    func createMultipartUpload(_ key: String) async throws -> String {
        let response = try await client.send(.POST, key: key, query: [("uploads", "")], headers: options.objects.headers)
        return try await result(response, "UploadId", "CreateMultipartUpload", key)
    }

    func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let response = try await client.send(
            .PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body, timeout: .minutes(5)
        )
        guard response.status == 200, let etag = response.headers.first(name: "etag") else {
            throw await client.failure(response, "UploadPart", key)
        }
        _ = try? await response.text()
        return etag
    }

    /// - Parameter size: what the object must hold; when the store no longer knows the
    ///   upload (an earlier attempt completed it and its answer was lost), the object is
    ///   accepted if it is there with that size.
    func completeMultipartUpload(_ key: String, uploadID: String, parts: [(Int, String)], size: Int64) async throws {
        var xml = "<CompleteMultipartUpload>"
        for (number, etag) in parts { xml += "<Part><PartNumber>\(number)</PartNumber><ETag>\(etag)</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let response = try await client.send(.POST, key: key, query: [("uploadId", uploadID)], body: ByteBuffer(string: xml), timeout: .minutes(10))
        do {
            _ = try await result(response, "CompleteMultipartUploadResult", "CompleteMultipartUpload", key)
        } catch StorageError.store(_, _, let reason) where reason.contains("NoSuchUpload") {
            guard let info = try await headObject(key), info.size == size else { throw StorageError.store(key, operation: "CompleteMultipartUpload", reason: reason) }
        }
    }

    func abortMultipartUpload(_ key: String, uploadID: String) async {
        if let response = try? await client.send(.DELETE, key: key, query: [("uploadId", uploadID)]) {
            _ = try? await response.text()
        }
    }

    // MARK: listing

    struct ListedObject {
        var key: String
        var size: Int64
        var modified: Double
    }

    struct ListPage {
        var keys: [ListedObject] = []
        var prefixes: [String] = []
        var next: String?
    }

    /// One page of ListObjectsV2.
    func listPage(prefix: String, delimiter: String?, token: String? = nil, maxKeys: Int = 1000, startAfter: String? = nil) async throws -> ListPage {
        var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let token { query.append(("continuation-token", token)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let response = try await client.send(.GET, key: nil, query: query)
        guard response.status == 200 else { throw await client.failure(response, "ListObjectsV2", prefix) }
        let xml = S3XML(try await response.text())
        var page = ListPage()
        for entry in xml.blocks("Contents") {
            guard let key = entry.value("Key") else { continue }
            let size = entry.value("Size").flatMap { Int64($0) } ?? 0
            let modified = entry.value("LastModified").flatMap(Self.isoDate)?.timeIntervalSince1970 ?? 0
            page.keys.append(ListedObject(key: key, size: size, modified: modified))
        }
        for common in xml.blocks("CommonPrefixes") {
            if let prefix = common.value("Prefix") { page.prefixes.append(prefix) }
        }
        if xml.value("IsTruncated") == "true" { page.next = xml.value("NextContinuationToken") }
        return page
    }

    /// `2026-12-04T17:40:20.123Z` as listings write it, read without a formatter (a
    /// listing of a whole store has one per key); other shapes fall back to one.
    static func isoDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        if bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
           let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
           let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        {
            var parts = tm()
            parts.tm_year = Int32(year - 1900)
            parts.tm_mon = Int32(month - 1)
            parts.tm_mday = Int32(day)
            parts.tm_hour = Int32(hour)
            parts.tm_min = Int32(minute)
            parts.tm_sec = Int32(second)
            var fraction = 0.0
            // Nanoseconds at most: more digits would overflow and mean nothing.
            let places = min(bytes.count - 21, 9)
            if bytes.count > 21, bytes[19] == UInt8(ascii: "."), places > 0, let digits = number(20, places) {
                fraction = Double(digits) / pow(10, Double(places))
            }
            return Date(timeIntervalSince1970: Double(timegm(&parts)) + fraction)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
