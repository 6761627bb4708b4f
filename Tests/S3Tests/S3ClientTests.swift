import Testing
@testable import S3

@Suite struct S3ClientTests {
    @Test func aFailureThatOutlastsTheRetriesNamesTheStoresCodeOnOneLine() {
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
