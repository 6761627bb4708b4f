import Synchronization
import Testing
import Storage
@testable import S3

@Suite struct S3DriverTests {
    static func driver(root: String, pathStyle: Bool = true) -> S3Driver {
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:8333", bucket: "images", pathStyle: pathStyle),
            signer: SignatureV4(credentials: .init(accessKey: "AK", secretKey: "SK"), region: "us-east-1")
        )
        return S3Driver(client: client, rootDirectory: root)
    }

    @Test(arguments: ["", "/", "registry", "/registry/", "a/b"])
    func keysAreDistributionsRootPlusPath(_ root: String) async throws {
        let driver = Self.driver(root: root)
        let expected = ["": "", "/": "", "registry": "registry/", "/registry/": "registry/", "a/b": "a/b/"][root] ?? "?"
        #expect(try driver.key("/docker/registry/v2/blobs") == expected + "docker/registry/v2/blobs")
        // The leading `/` goes even when a combining mark makes it one character with the next.
        #expect(try driver.key("/\u{0301}x") == expected + "\u{0301}x")
        await driver.client.shutdown()
    }

    @Test func refusesPathTricks() async throws {
        let driver = Self.driver(root: "r")
        #expect(throws: StorageError.self) { try driver.key("/a/../b") }
        #expect(throws: StorageError.self) { try driver.key("relative") }
        await driver.client.shutdown()
    }

    @Test func temporaryKeysSendAndSignTheirSessionToken() async throws {
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:8333", bucket: "images", pathStyle: true),
            credentials: SignatureV4.Credentials(accessKey: "ASIA", secretKey: "SK", sessionToken: "TOKEN"),
            region: "us-east-1"
        )
        let head = client.signedHead(.GET, key: "k", query: [], headers: [], hasBody: false, signer: try await client.signer())
        #expect(head.headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "TOKEN" })
        let authorization = try #require(head.headers.first { $0.0 == "authorization" }?.1)
        #expect(authorization.contains("Credential=ASIA/") && authorization.contains("x-amz-security-token"))
        #expect(try await client.presignedURL("k", expires: 60).contains("X-Amz-Security-Token=TOKEN"))
        await client.shutdown()
    }

    @Test func withoutKeysARequestFailsAsUnavailableWithoutReachingTheStore() async throws {
        let source = RenewingCredentials(origin: "the role endpoint") { throw CredentialEndpoint.FetchError(description: "no role") }
        // Nothing listens on port 9: a request that went out would fail differently, later.
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:9", bucket: "images", pathStyle: true),
            credentials: source,
            region: "us-east-1"
        )
        do {
            _ = try await client.send(.GET, key: "k")
            Issue.record("a request went out without keys")
        } catch let StorageError.unavailable(what, reason) {
            #expect(what == "credentials" && reason.contains("the role endpoint") && reason.contains("no role"))
        }
        await client.shutdown()
    }

    @Test func presignedURLsAddressTheBucketAsConfigured() async throws {
        let pathStyle = Self.driver(root: "")
        let url = try await pathStyle.client.presignedURL("docker/registry/v2/blobs/sha256/ab/abc/data", expires: 1200)
        #expect(url.hasPrefix("http://127.0.0.1:8333/images/docker/registry/v2/blobs/sha256/ab/abc/data?X-Amz-Algorithm=AWS4-HMAC-SHA256"))
        #expect(url.contains("X-Amz-Expires=1200"))
        let hostStyle = Self.driver(root: "", pathStyle: false)
        #expect(try await hostStyle.client.presignedURL("k", expires: 60).hasPrefix("http://images.127.0.0.1:8333/k?"))
        await pathStyle.client.shutdown()
        await hostStyle.client.shutdown()
    }

    static let noSuchKey = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a/link</Key></Error>
        """
    static let noSuchBucket = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>imagez</BucketName></Error>
        """

    /// distribution reads only `NoSuchKey` as a missing object; a missing bucket answered
    /// `MANIFEST_UNKNOWN` here, with nothing logged.
    @Test func aGetsNotFoundIsAbsenceOnlyWhenTheStoreSaysNoSuchKey() {
        #expect(S3Driver.isMissingKey(Self.noSuchKey))
        #expect(!S3Driver.isMissingKey(Self.noSuchBucket))
        #expect(!S3Driver.isMissingKey("<Error><Code>NoSuchUpload</Code></Error>"))
        // No code to read (a proxy's page, a body that broke off): nothing says otherwise.
        #expect(S3Driver.isMissingKey(""))
        #expect(S3Driver.isMissingKey("<html>Not Found</html>"))
    }

    @Test func aMissingBucketIsAStoreFailureThatNamesTheBucket() async throws {
        let driver = Self.driver(root: "")
        let failure = driver.client.failure(status: 404, text: Self.noSuchBucket, "GET", "docker/registry/v2/x/link")
        guard case .store(let key, let operation, let reason) = failure else {
            Issue.record("not a store failure: \(failure)")
            return
        }
        #expect(key == "docker/registry/v2/x/link" && operation == "GET")
        #expect(reason.contains("NoSuchBucket") && reason.contains("'images'") && !reason.contains("127.0.0.1:8333"), "the store's address is the operator's, not the client's")
        // Other codes are reported as the store gave them.
        let other = driver.client.failure(status: 404, text: Self.noSuchKey, "GET", "k")
        #expect(!other.description.contains("'images'"))
        await driver.client.shutdown()
    }

    @Test func aListingTellsAMissingBucketFromOtherFailures() {
        let failure = StorageError.store("images", operation: "ListObjectsV2", reason: "ListObjectsV2: AccessDenied")
        #expect(S3Driver.bucketState(status: 200, text: "<ListBucketResult/>", failure: failure) == .present)
        #expect(S3Driver.bucketState(status: 404, text: Self.noSuchBucket, failure: failure) == .missing)
        #expect(S3Driver.bucketState(status: 403, text: "", failure: failure) == .unknown("\(failure)"))
        #expect(S3Driver.bucketState(status: 404, text: Self.noSuchKey, failure: failure) == .unknown("\(failure)"))
    }

    /// The start asks once: a store that is down must not hold it for the retries.
    @Test func theBucketCheckTriesOnceAndSaysWhyItCouldNotTell() async throws {
        // Nothing listens on port 9: each attempt is refused at once, and a retry would be
        // told to the listener as a second failed attempt.
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:9", bucket: "images", pathStyle: true),
            signer: SignatureV4(credentials: .init(accessKey: "AK", secretKey: "SK"), region: "us-east-1")
        )
        let driver = S3Driver(client: client)
        let attempts = Mutex(0)
        let state = await StorageAttempts.$failed.withValue({ _ in attempts.withLock { $0 += 1 } }) {
            await driver.bucketState()
        }
        #expect(attempts.withLock { $0 } == 1)
        guard case .unknown(let reason) = state else {
            Issue.record("a store that refuses connections was read as \(state)")
            await client.shutdown()
            return
        }
        #expect(!reason.isEmpty)
        await client.shutdown()
    }

    @Test func aPartIsNeverSmallerThanS3Allows() {
        #expect(S3Driver.Options(chunkSize: 1024).chunkSize == 5 << 20)
        #expect(S3Driver.Options(multipartCopyChunkSize: 1).multipartCopyChunkSize == 5 << 20)
    }
}
