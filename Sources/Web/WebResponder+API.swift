import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension WebResponder {
    /// What the index API answered a page's call.
    struct APIAnswer {
        var status: Int
        /// The decoded JSON body; nil for none.
        var json: Any?

        var ok: Bool { (200..<300).contains(status) }

        /// The API's own words for a refusal (`errors[0].message`, and its detail).
        var message: String {
            guard let errors = (json as? [String: Any])?["errors"] as? [[String: Any]], let first = errors.first else {
                return "The request failed (HTTP \(status))."
            }
            let message = first["message"] as? String ?? "The request failed"
            if let detail = first["detail"] as? String, !detail.isEmpty { return message + ": " + detail }
            return message
        }

        /// `results` of a list answer.
        var results: [[String: Any]] {
            ((json as? [String: Any])?["results"] as? [[String: Any]]) ?? []
        }
    }

    /// Calls `/api/v1/…` as the visitor, through the API's own code: every page that reads
    /// or changes settings is held to exactly the rules the API enforces.
    func api(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil, as visitor: Visitor) async -> APIAnswer {
        var head = HTTPRequest(method: method, scheme: "http", authority: "localhost", path: "/api/v1" + path)
        var buffer = ByteBuffer()
        if let body, let data = try? JSONSerialization.data(withJSONObject: body) {
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(data.count)
            buffer = ByteBuffer(bytes: data)
        }
        let response = await indexAPI.respond(to: Request(head: head, body: RequestBody(buffer: buffer)), as: visitor.principal)
        let collected = CollectedBody()
        try? await response.body.write(CollectingWriter(into: collected))
        let json = collected.buffer.readableBytes == 0 ? nil : try? JSONSerialization.jsonObject(with: Data(collected.buffer.readableBytesView))
        return APIAnswer(status: Int(response.status.code), json: json)
    }
}

/// The bytes of a response body answered in-process.
final class CollectedBody {
    var buffer = ByteBuffer()
}

/// Collects a response body into memory (the API's answers to pages are small).
struct CollectingWriter: ResponseBodyWriter {
    let into: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        into.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
