import Foundation
@testable import Config

extension PierConfiguration {
    /// The configuration `pier serve` would read from a file holding `text`, with
    /// `environment` as its `REGISTRY_*` variables.
    static func loading(_ text: String, environment: [String: String] = [:]) throws -> PierConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-config-\(UUID().uuidString).yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try load(path: path, environment: environment)
    }
}
