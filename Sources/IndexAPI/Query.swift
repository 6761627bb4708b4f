import Foundation
import OCI

/// A request's query parameters, percent-decoded (`+` as a space, as forms send it), first
/// value of each name. Public for the web UI, whose forms send the same shape.
public struct Query: Sendable {
    private var values: [String: String] = [:]

    public init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            let key = decode(parts[0])
            if values[key] == nil { values[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
    }

    public subscript(_ name: String) -> String? { values[name] }

    public func int(_ name: String) -> Int? { values[name].flatMap { Int($0) } }

    /// The last page anyone may ask for, so offsets stay far from overflowing.
    public static let maximumPage = 100_000

    /// `page` (1…100,000) and `page_size` (1…100, default 25); anything else is a 400.
    func paging() throws -> (page: Int, size: Int) {
        let page = values["page"].map { Int($0) } ?? 1
        let size = values["page_size"].map { Int($0) } ?? 25
        guard let page, (1...Self.maximumPage).contains(page), let size, (1...100).contains(size) else {
            throw RegistryError(.paginationNumberInvalid, "page must be 1 to \(Self.maximumPage) and page_size 1 to 100", status: 400)
        }
        return (page, size)
    }

    /// `text` safe inside a query string.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
