import Crypto
import Foundation

/// AWS Signature Version 4, as S3 and every S3-compatible store (MinIO, SeaweedFS, RustFS)
/// check it. There is no S3 SDK among the Swift packages Pier builds with, and the signer
/// is small: a pure function of the request, the credentials and the time, proved against
/// AWS's published test vectors.
public struct SignatureV4: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String
        /// `AWS_SESSION_TOKEN`, for temporary credentials.
        public var sessionToken: String?

        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    /// What a request looks like to the signer: the path as sent (already encoded), the
    /// query as name/value pairs (not encoded), and the headers to sign.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The SHA-256 of an empty body, the payload hash of every GET, HEAD and DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `20150830T123600Z`.
    public static func amzDate(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ",
            c.year ?? 1970, c.month ?? 1, c.day ?? 1, c.hour ?? 0, c.minute ?? 0, c.second ?? 0
        )
    }

    /// The canonical request (the first thing to compare when a store says
    /// `SignatureDoesNotMatch`).
    public func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        var headers = [String: [String]]()
        for (name, value) in request.headers {
            headers[name.lowercased(), default: []].append(Self.trimmed(value))
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]?.joined(separator: ",") ?? "")\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        var pairs: [(name: String, value: String)] = request.query.map { (Self.encode($0.0), Self.encode($0.1)) }
        // Byte order of the encoded forms, names first.
        pairs.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let query = pairs.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        let text = [request.method, request.path, query, canonicalHeaders, signedHeaders, request.payloadHash].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// `date/region/service/aws4_request`.
    func scope(_ amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        let hash = Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))
        return "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope(amzDate))\n\(hash)"
    }

    public func signature(stringToSign: String, amzDate: String) -> String {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretKey)".utf8))
        for part in [String(amzDate.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// The `Authorization` header for a request whose headers already include `host` and
    /// `x-amz-date` (and `x-amz-content-sha256` for S3).
    public func authorization(_ request: Request, amzDate: String) -> String {
        let (canonical, signedHeaders) = canonicalRequest(request)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical, amzDate: amzDate), amzDate: amzDate)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(amzDate)), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// The query of a presigned URL (`storage.redirect`): anyone holding it may do `method`
    /// on `path` until it expires, with no credentials of their own.
    public func presignedQuery(method: String, host: String, path: String, query: [(String, String)] = [], date: Date, expires: Int) -> [(String, String)] {
        let amzDate = Self.amzDate(date)
        var parameters = query
        parameters.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        parameters.append(("X-Amz-Credential", "\(credentials.accessKey)/\(scope(amzDate))"))
        parameters.append(("X-Amz-Date", amzDate))
        parameters.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        parameters.append(("X-Amz-SignedHeaders", "host"))
        let request = Request(method: method, path: path, query: parameters, headers: [("host", host)], payloadHash: Self.unsignedPayload)
        let (canonical, _) = canonicalRequest(request)
        parameters.append(("X-Amz-Signature", signature(stringToSign: stringToSign(canonicalRequest: canonical, amzDate: amzDate), amzDate: amzDate)))
        return parameters
    }

    private static let upperHex = Array("0123456789ABCDEF".unicodeScalars)

    /// RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 wants
    /// for query names and values (and, with `keepSlash`, for S3 object keys in paths).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                // By hand: `String(format:)` is slow, and loads ICU for its locale.
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Self.upperHex[Int(byte >> 4)])
                out.unicodeScalars.append(Self.upperHex[Int(byte & 15)])
            }
        }
        return out
    }

    /// Header values are trimmed and inner runs of spaces collapsed.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let lowerHex = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(lowerHex[Int(byte >> 4)])
            out.append(lowerHex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
