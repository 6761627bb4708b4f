import Foundation
import Testing
@testable import S3

/// AWS's published vectors: the aws-sig-v4-test-suite (service "service", 2015-08-30) and
/// the S3 documentation's examples (2013-05-24).
@Suite struct SignatureV4Tests {
    static let suite = SignatureV4(
        credentials: .init(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "service"
    )
    static let s3 = SignatureV4(
        credentials: .init(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1"
    )
    static let suiteHeaders = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]

    static func suiteSignature(_ path: String, _ query: [(String, String)] = []) -> String {
        let request = SignatureV4.Request(method: "GET", path: path, query: query, headers: suiteHeaders, payloadHash: SignatureV4.emptyPayloadHash)
        let authorization = suite.authorization(request, amzDate: "20150830T123600Z")
        return String(authorization.split(separator: "=").last ?? "")
    }

    @Test func getVanilla() {
        let request = SignatureV4.Request(method: "GET", path: "/", headers: Self.suiteHeaders, payloadHash: SignatureV4.emptyPayloadHash)
        let (canonical, signed) = Self.suite.canonicalRequest(request)
        #expect(canonical == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(SignatureV4.emptyPayloadHash)")
        #expect(signed == "host;x-amz-date")
        #expect(Self.suite.authorization(request, amzDate: "20150830T123600Z")
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func queryParametersAreSortedByNameThenValue() {
        #expect(Self.suiteSignature("/", [("Param2", "value2"), ("Param1", "value1")])
            == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        #expect(Self.suiteSignature("/", [("Param1", "value2"), ("Param1", "value1")])
            == "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")
    }

    @Test func unreservedCharactersAreNotEncoded() {
        #expect(Self.suiteSignature("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            == "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
    }

    @Test func aSignedBodyAndContentType() {
        let request = SignatureV4.Request(
            method: "POST", path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")] + Self.suiteHeaders,
            payloadHash: "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        )
        #expect(Self.suite.authorization(request, amzDate: "20150830T123600Z").hasSuffix(
            "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"))
    }

    @Test func s3GetObjectWithRange() {
        let request = SignatureV4.Request(
            method: "GET", path: "/test.txt",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", SignatureV4.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
            ],
            payloadHash: SignatureV4.emptyPayloadHash
        )
        let (canonical, _) = Self.s3.canonicalRequest(request)
        #expect(Self.s3.stringToSign(canonicalRequest: canonical, amzDate: "20130524T000000Z")
            == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(Self.s3.authorization(request, amzDate: "20130524T000000Z").hasSuffix(
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
    }

    @Test func s3PresignedURL() {
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let query = Self.s3.presignedQuery(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", date: date, expires: 86400)
        #expect(query.last?.0 == "X-Amz-Signature")
        #expect(query.last?.1 == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func keysAreEncodedOnceWithSlashesKept() {
        #expect(SignatureV4.encode("docker/registry/v2/a b+c", keepSlash: true) == "docker/registry/v2/a%20b%2Bc")
        #expect(SignatureV4.encode("a/b") == "a%2Fb")
        #expect(SignatureV4.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
    }
}
