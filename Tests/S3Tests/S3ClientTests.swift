import Storage
import Synchronization
import Testing
@testable import S3

@Suite struct S3ClientTests {
    @Test func passingFailuresAreTriedAgainAndA501IsNot() {
        for status in [500, 502, 503, 504, 429] { #expect(S3Client.isPassing(status: status), "\(status)") }
        for status in [501, 200, 204, 400, 403, 404, 409, 412] { #expect(!S3Client.isPassing(status: status), "\(status)") }
    }

    @Test func aStoresErrorAnswerIsReadAsItsCodeAndMessageOnOneLine() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>ServiceUnavailable</Code><Message>Please reduce
            your request rate.</Message></Error>
            """
        #expect(S3Client.reason(status: 503, body: body) == "HTTP 503 ServiceUnavailable Please reduce your request rate.")
        #expect(S3Client.reason(status: 502, body: "<html>Bad Gateway</html>") == "HTTP 502")
        #expect(S3Client.reason(status: 500, body: "") == "HTTP 500")
    }

    /// The storage health check gives up at its interval, before the retries do: each failed
    /// attempt is told as it happens, so the check can say why the store did not answer.
    @Test func eachFailedAttemptIsToldToWhoeverListens() async throws {
        // Nothing listens on port 9: every attempt is refused.
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:9", bucket: "images", pathStyle: true),
            signer: SignatureV4(credentials: .init(accessKey: "AK", secretKey: "SK"), region: "us-east-1"),
            attempts: 2
        )
        let reported = Mutex<[String]>([])
        let record: @Sendable (String) -> Void = { reason in reported.withLock { $0.append(reason) } }
        await #expect(throws: StorageError.self) {
            try await StorageAttempts.$failed.withValue(record) {
                _ = try await client.send(.GET, key: "k")
            }
        }
        let reasons = reported.withLock { $0 }
        #expect(reasons.count == 2, "\(reasons)")
        #expect(reasons.allSatisfy { $0.hasPrefix("GET k: ") }, "\(reasons)")
        // Nobody listening: nothing is told, and nothing fails for it.
        await #expect(throws: StorageError.self) { _ = try await client.send(.GET, key: "k", tries: 1) }
        #expect(reported.withLock { $0.count } == 2)
        await client.shutdown()
    }
}
