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
}
