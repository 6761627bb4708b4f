import Foundation
import Testing

/// Every field of every page model answers its name in `WebView+Lookup.swift`, so a
/// template never reads a field the lookup forgot (it would render as missing).
@Suite struct WebViewLookupTests {
    static func source(_ file: String) throws -> String {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: tests.appendingPathComponent("Sources/Web/\(file)"), encoding: .utf8)
    }

    /// Struct name → its fields, from the lines `    struct X {` … `        var y: …`.
    static func fields(_ text: String, header: String, field: String) -> [String: [String]] {
        var result = [String: [String]]()
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.firstMatch(of: try! Regex(header)), let name = match.output[1].substring {
                current = String(name)
                result[String(name), default: []] = []
            } else if line == "    }" || line == "}" {
                current = nil
            } else if let current, let match = line.firstMatch(of: try! Regex(field)), let name = match.output[1].substring {
                result[current, default: []].append(String(name))
            }
        }
        return result
    }

    @Test func everyFieldOfEveryModelIsLookedUpByName() throws {
        let models = Self.fields(try Self.source("WebView.swift"), header: #"^    struct (\w+) \{$"#, field: #"^        var (\w+):"#)
        let lookups = Self.fields(try Self.source("WebView+Lookup.swift"), header: #"^extension WebView\.(\w+): MustacheParent \{$"#, field: #"^        case "(\w+)":"#)
        #expect(!models.isEmpty)
        #expect(models == lookups)
    }
}
