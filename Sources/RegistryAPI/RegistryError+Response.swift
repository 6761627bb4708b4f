import Foundation
public import Hummingbird
public import HTTPTypes
public import OCI

extension RegistryError {
    private struct Body: Encodable {
        struct Entry: Encodable {
            let code: String
            let message: String
            let detail: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code)
                try container.encode(message, forKey: .message)
                try container.encode(detail, forKey: .detail)
            }

            enum CodingKeys: String, CodingKey { case code, message, detail }
        }

        let errors: [Entry]
    }

    /// The spec's error response: the status and `{"errors":[{"code","message","detail"}]}`
    /// (no body for HEAD, whose responses cannot carry one).
    public func response(for method: HTTPRequest.Method) -> Response {
        let status = HTTPResponse.Status(code: status)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if code == .rangeInvalid, let size = rangeSize { headers[.contentRange] = "bytes */\(size)" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(errors: [.init(code: code.rawValue, message: message, detail: detail)])))
            ?? Data(#"{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":null}]}"#.utf8)
        if method == .head {
            headers[.contentLength] = String(data.count)
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// For a blob range error, the blob's size, carried in `detail` as `size=N`.
    private var rangeSize: Int64? {
        guard let detail, detail.hasPrefix("size=") else { return nil }
        return Int64(detail.dropFirst(5))
    }
}
