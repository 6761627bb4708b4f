import Foundation
import Storage
import TestSupport
import Testing
@testable import S3

/// The storage contract against a real S3 store: SeaweedFS, which `scripts/test.sh` starts
/// and names in `PIER_TEST_S3_*` before `swift test`. Each check gets a prefix of its own
/// in the bucket, and a part size of S3's minimum, so the upload state machine's part
/// boundaries, tails, restarts, cancels and commits are all crossed.
@Suite struct S3DriverContractTests {
    struct Store: Sendable {
        var endpoint: URL
        var bucket: String
        var accessKey: String
        var secretKey: String

        static var configured: Store? {
            let environment = ProcessInfo.processInfo.environment
            guard let endpoint = environment["PIER_TEST_S3_ENDPOINT"].flatMap(URL.init(string:)),
                  let bucket = environment["PIER_TEST_S3_BUCKET"],
                  let accessKey = environment["PIER_TEST_S3_ACCESS_KEY"],
                  let secretKey = environment["PIER_TEST_S3_SECRET_KEY"]
            else { return nil }
            return Store(endpoint: endpoint, bucket: bucket, accessKey: accessKey, secretKey: secretKey)
        }

        func driver(root: String) -> S3Driver {
            let client = S3Client(
                endpoint: .init(scheme: endpoint.scheme ?? "http", authority: "\(endpoint.host ?? "127.0.0.1"):\(endpoint.port ?? 80)", bucket: bucket, pathStyle: true),
                signer: SignatureV4(credentials: .init(accessKey: accessKey, secretKey: secretKey), region: "us-east-1")
            )
            return S3Driver(client: client, rootDirectory: root, options: .init(chunkSize: S3Driver.Options.minimumPartSize, redirect: false))
        }
    }

    /// A bucket that is not there is the store failing, named, as distribution answers it;
    /// only a key that is not there is absent. Only reads: SeaweedFS creates a bucket at
    /// its first write.
    @Test(.enabled(if: Store.configured != nil))
    func aMissingBucketIsAFailureNamingItAndAMissingKeyIsAbsent() async throws {
        guard let store = Store.configured else { return }
        var elsewhere = store
        elsewhere.bucket = "pier-missing-" + String(UUID().uuidString.lowercased().prefix(12))
        let missing = elsewhere.driver(root: "r")
        let present = store.driver(root: "contract-" + UUID().uuidString.lowercased())
        do {
            do {
                _ = try await missing.contents(of: "/docker/registry/v2/repositories/a/_manifests/tags/t/current/link", limit: 256)
                Issue.record("a read from a missing bucket succeeded")
            } catch {
                #expect("\(error)".contains("NoSuchBucket") && "\(error)".contains(elsewhere.bucket), "\(error)")
            }
            do {
                try await missing.read("/docker/registry/v2/blobs/sha256/00/00/data", range: nil) { _ in }
                Issue.record("a read from a missing bucket succeeded")
            } catch StorageError.notFound {
                Issue.record("a missing bucket was read as a missing blob")
            } catch {
                #expect("\(error)".contains("NoSuchBucket"), "\(error)")
            }
            // The listing the storage health check makes fails naming it too.
            do {
                _ = try await missing.list("/")
                Issue.record("a listing of a missing bucket succeeded")
            } catch {
                #expect("\(error)".contains("NoSuchBucket") && "\(error)".contains(elsewhere.bucket), "\(error)")
            }
            // A HEAD has no body to tell why: absence, and the start's check names the bucket.
            #expect(try await missing.fileInfo("/docker/registry/v2/blobs/sha256/00/00/data") == nil)
            #expect(await missing.bucketState() == .missing)

            #expect(try await present.contents(of: "/docker/registry/v2/nothing/here", limit: 256) == nil)
            await #expect(throws: StorageError.self) { try await present.read("/docker/registry/v2/nothing/here", range: nil) { _ in } }
            #expect(await present.bucketState() == .present)
        } catch {
            await missing.shutdown()
            await present.shutdown()
            throw error
        }
        await missing.shutdown()
        await present.shutdown()
    }

    /// In CI the store must be there: a contract that silently skips S3 proves nothing.
    @Test func theS3StoreIsConfiguredInCI() {
        let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
        #expect(!inCI || Store.configured != nil, "CI must run the storage contract against S3 (PIER_TEST_S3_* unset)")
    }

    @Test(.enabled(if: Store.configured != nil), arguments: StorageContract.checks)
    func theS3DriverKeepsTheContract(_ check: StorageContract.Check) async throws {
        guard let store = Store.configured else { return }
        let root = "contract-" + UUID().uuidString.lowercased()
        let driver = store.driver(root: root)
        let reopened = store.driver(root: root)
        do {
            try await check.run(.init(driver: driver, reopen: { reopened }, boundary: S3Driver.Options.minimumPartSize))
        } catch {
            await driver.shutdown()
            await reopened.shutdown()
            throw error
        }
        await driver.shutdown()
        await reopened.shutdown()
    }
}
