#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Server

/// Access lines are built byte by byte into the log's buffer; each must read exactly as the
/// formats promise, for both formats.
@Suite struct AccessLogTests {
    /// The lines a log writes for `body`, read back through a pipe.
    func lines(_ format: AccessLog.Format, fields: [(String, String)] = [], _ body: (AccessLog) -> Void) throws -> [String] {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let log = AccessLog(format: format, fields: fields, fd: ends[1])
        body(log)
        log.flushNow()
        close(ends[1])
        let data = FileHandle(fileDescriptor: ends[0]).readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func aTextLineHasEveryFieldInItsPlace() throws {
        let written = try lines(.text, fields: [("environment", "staging")]) { log in
            log.record(method: "HEAD", path: "/v2/a/manifests/latest", status: 200, length: "1234", milliseconds: 0.5004, userAgent: "containerd/2.0", client: "192.0.2.7")
            log.record(method: "GET", path: "/v2/", status: 0, length: nil, milliseconds: 12.0, userAgent: nil)
            log.record(method: "PUT", path: "/v2/a/blobs/uploads/x", status: 10_000, length: "0", milliseconds: 1234.5678, userAgent: "é")
        }
        #expect(written.count == 4 && written[3].isEmpty, "\(written)")
        let time = #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#
        #expect(written[0].wholeMatch(of: try Regex(time + #" info pier: HEAD /v2/a/manifests/latest 200 1234 0\.500ms "containerd/2\.0" client=192\.0\.2\.7 environment=staging"#)) != nil, "\(written[0])")
        #expect(written[1].hasSuffix(#" info pier: GET /v2/ 0 - 12.000ms "-" client=- environment=staging"#), "\(written[1])")
        #expect(written[2].hasSuffix(#" info pier: PUT /v2/a/blobs/uploads/x 10000 0 1234.568ms "é" client=- environment=staging"#), "\(written[2])")
    }

    @Test func aJSONLineIsOneObjectWithEscapedValues() throws {
        let written = try lines(.json, fields: [("region", "eu")]) { log in
            log.record(method: "GET", path: #"/v2/a"b/tags/list"#, status: 404, length: "97", milliseconds: 3.25, userAgent: "agent \"quoted\"", client: "2001:db8::1")
        }
        #expect(written.count == 2)
        let time = #""time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""#
        let exact = #"\{"region":"eu","duration_ms":"3\.250","http\.method":"GET","http\.request\.remoteaddr":"2001:db8::1","http\.path":"/v2/a\\"b/tags/list","#
            + #""http\.response\.length":"97","http\.status":"404","level":"info","logger":"pier","#
            + #""msg":"GET /v2/a\\"b/tags/list 404","# + time + #","user_agent":"agent \\"quoted\\""\}"#
        #expect(written[0].wholeMatch(of: try Regex(exact)) != nil, "\(written[0])")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: String])
        #expect(object["region"] == "eu")
        #expect(object["http.method"] == "GET")
        #expect(object["http.request.remoteaddr"] == "2001:db8::1")
        #expect(object["http.path"] == #"/v2/a"b/tags/list"#)
        #expect(object["http.status"] == "404")
        #expect(object["http.response.length"] == "97")
        #expect(object["duration_ms"] == "3.250")
        #expect(object["msg"] == #"GET /v2/a"b/tags/list 404"#)
        #expect(object["user_agent"] == "agent \"quoted\"")
        #expect(object["level"] == "info" && object["logger"] == "pier")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }

    @Test func theUserIsNamedWhenTheDoorLetOneInAndEscapedInBothFormats() throws {
        let text = try lines(.text, fields: [("environment", "staging")]) { log in
            log.record(method: "PUT", path: "/v2/a/manifests/v1", status: 201, length: "0", milliseconds: 1, userAgent: "skopeo", client: "192.0.2.7", user: "alice")
            log.record(method: "GET", path: "/v2/", status: 401, length: "87", milliseconds: 1, userAgent: "skopeo", client: "192.0.2.7")
            log.record(method: "GET", path: "/v2/", status: 200, length: "2", milliseconds: 1, userAgent: "skopeo", client: "192.0.2.7", user: "ci\nfake line")
        }
        #expect(text[0].hasSuffix(#"client=192.0.2.7 user=alice environment=staging"#), "\(text[0])")
        #expect(text[1].hasSuffix(#"client=192.0.2.7 environment=staging"#), "\(text[1])")
        #expect(text[2].hasSuffix(#"client=192.0.2.7 user="ci\nfake line" environment=staging"#), "\(text[2])")
        #expect(text.count == 4, "a user name ended a line: \(text)")
        // A subject that looks like fields stays one quoted value.
        let forged = try lines(.text) { log in
            log.record(method: "GET", path: "/v2/", status: 200, length: "2", milliseconds: 1, userAgent: nil, client: "192.0.2.7", user: "x client=203.0.113.9")
        }
        #expect(forged[0].hasSuffix(#"client=192.0.2.7 user="x client=203.0.113.9""#), "\(forged[0])")
        #expect(AccessLog.textValue("ci-bot@example.com") == "ci-bot@example.com")
        let json = try lines(.json) { log in
            log.record(method: "DELETE", path: "/v2/a/manifests/sha256:0", status: 202, length: "0", milliseconds: 1, userAgent: nil, user: #"bob "the admin""#)
            log.record(method: "GET", path: "/v2/", status: 401, length: "87", milliseconds: 1, userAgent: nil)
        }
        let named = try #require(try JSONSerialization.jsonObject(with: Data(json[0].utf8)) as? [String: String])
        #expect(named["auth.user.name"] == #"bob "the admin""#)
        let anonymous = try #require(try JSONSerialization.jsonObject(with: Data(json[1].utf8)) as? [String: String])
        #expect(anonymous["auth.user.name"] == nil)
    }
}
