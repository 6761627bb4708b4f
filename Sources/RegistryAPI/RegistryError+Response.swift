import Foundation
public import Hummingbird
public import HTTPTypes
public import OCI

extension RegistryError {
    /// The spec's error response: the status and `{"errors":[{"code","message","detail"}]}`
    /// (no body for HEAD, whose responses cannot carry one).
    public func response(for method: HTTPRequest.Method) -> Response {
        let status = HTTPResponse.Status(code: status)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if code == .rangeInvalid, let size = rangeSize { headers[.contentRange] = "bytes */\(size)" }
        let data = Data(body.utf8)
        if method == .head {
            headers[.contentLength] = String(data.count)
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"errors":[{"code","message","detail"}]}`, written out in that order every time:
    /// an encoder's key order may differ between two answers, and answers that must be
    /// indistinguishable (a private repository and a missing one) must be byte for byte.
    var body: String {
        #"{"errors":[{"code":"# + Self.jsonString(code.rawValue) + #","message":"# + Self.jsonString(message)
            + #","detail":"# + (detail.map(Self.jsonString) ?? "null") + "}]}"
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        "\"" + JSONString.escaped(text) + "\""
    }

    /// For a blob range error, the blob's size, carried in `detail` as `size=N`.
    private var rangeSize: Int64? {
        guard let detail, detail.hasPrefix("size=") else { return nil }
        return Int64(detail.dropFirst(5))
    }
}
