import Foundation
import Registry

extension PierConfiguration {
    /// Reads `validation.manifests`: distribution 3's `indexes.platforms` (`all`, `none`
    /// or `list` with `platformlist`) for sparse indexes, and Pier's own `blobs` (`all` or
    /// `none`) for manifests whose blobs are not all pushed yet.
    ///
    /// And `validation.manifests.urls` (`allow`, `deny`) as distribution reads it: on unless
    /// `validation.disabled` is true (and `enabled`, its old spelling, is not), and with
    /// neither list no URL at all.
    mutating func applyValidation(_ read: ConfigurationTree) throws(ConfigurationError) {
        if try read.bool("validation.disabled") == true, try read.bool("validation.enabled") != true {
            manifestURLs = .anyHTTPURL
        } else {
            let allow = try read.strings("validation.manifests.urls.allow")
            let deny = try read.strings("validation.manifests.urls.deny")
            do {
                manifestURLs = try ManifestURLPolicy(allow: allow, deny: deny)
            } catch {
                let key = allow.contains(error.pattern) ? "validation.manifests.urls.allow" : "validation.manifests.urls.deny"
                throw ConfigurationError(key: key, message: "'\(error.pattern)' is not a regular expression: \(error.reason)")
            }
        }
        if let platforms = try read.string("validation.manifests.indexes.platforms") {
            switch platforms.lowercased() {
            case "all": indexChildren = .all
            case "none": indexChildren = .none
            case "list": indexChildren = .platforms(try Self.platformList(read))
            default:
                throw ConfigurationError(key: "validation.manifests.indexes.platforms", message: "'\(platforms)' is not one of all, none, list")
            }
        }
        if let blobs = try read.string("validation.manifests.blobs") {
            switch blobs.lowercased() {
            case "all": requireManifestBlobs = true
            case "none": requireManifestBlobs = false
            default:
                throw ConfigurationError(key: "validation.manifests.blobs", message: "'\(blobs)' is not one of all, none")
            }
        }
    }

    private static func platformList(_ read: ConfigurationTree) throws(ConfigurationError) -> [Registry.Options.PlatformSelector] {
        let key = "validation.manifests.indexes.platformlist"
        guard let entries = read.value(key) as? [Any], !entries.isEmpty else {
            throw ConfigurationError(key: key, message: "platforms: list needs a platformlist of {os, architecture}")
        }
        var selectors = [Registry.Options.PlatformSelector]()
        for entry in entries {
            // YAML reads `architecture: 386` as a number; any scalar is its text, as in Go.
            func scalar(_ value: Any?) -> String? {
                guard let value, !(value is [Any]), !(value is [String: Any]) else { return nil }
                return "\(value)"
            }
            guard let map = entry as? [String: Any], let os = scalar(map["os"]), let architecture = scalar(map["architecture"]) else {
                throw ConfigurationError(key: key, message: "every entry needs an os and an architecture")
            }
            selectors.append(.init(os: os, architecture: architecture))
        }
        return selectors
    }
}
