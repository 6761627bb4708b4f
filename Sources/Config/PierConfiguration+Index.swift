public import Net
import Auth
public import Index

extension PierConfiguration {
    /// `index`, Pier's addition: the metadata database (search, stars, pull counts, the
    /// `/api/v1/` API). On by default, in an SQLite file beside the data.
    public struct IndexSettings: Sendable {
        /// `index.disabled: true` turns the index and its API off.
        public var enabled = true
        /// `index.database`: an SQLite file or a PostgreSQL server; nil for `pier/index.db`
        /// under the storage root.
        public var database: IndexDatabaseLocation?
        /// `index.namespaces: true`: personal namespaces and per-repository visibility and
        /// collaborators decide access, with the `access` rules added.
        public var namespaces = false
        /// `index.defaultvisibility`: what a repository is until someone sets it.
        public var defaultVisibility = NamespaceGrants.Visibility.private
        /// `index.webhooks.allow`: private ranges webhooks may target besides public addresses.
        public var webhookAllow = AddressRanges.empty
        /// `index.webhooks.queuedirectory`: where each hook's undelivered events wait;
        /// nil for `pier/webhooks` under the storage root.
        public var webhookQueueDirectory: String?
    }

    mutating func applyIndex(_ read: ConfigurationTree) throws(ConfigurationError) {
        if try read.bool("index.disabled") == true { index.enabled = false }
        if let url = try read.string("index.database"), !url.isEmpty {
            do {
                index.database = try IndexDatabaseLocation(url: url)
            } catch {
                throw ConfigurationError(key: "index.database", message: error.description)
            }
        }
        if try read.bool("index.namespaces") == true {
            // Namespaces belong to users: without authentication there are none, and
            // without the index nothing would keep private repositories private.
            guard authentication != nil else {
                throw ConfigurationError(key: "index.namespaces", message: "needs auth (htpasswd or token): namespaces belong to users")
            }
            guard index.enabled else {
                throw ConfigurationError(key: "index.namespaces", message: "needs the index: remove index.disabled")
            }
            index.namespaces = true
        }
        if let value = try read.string("index.defaultvisibility") {
            guard let visibility = NamespaceGrants.Visibility(rawValue: value.lowercased()) else {
                throw ConfigurationError(key: "index.defaultvisibility", message: "'\(value)' must be public or private")
            }
            index.defaultVisibility = visibility
        }
        let allow = try read.strings("index.webhooks.allow")
        do {
            index.webhookAllow = try AddressRanges(parsing: allow)
        } catch {
            throw ConfigurationError(key: "index.webhooks.allow", message: "'\(error.entry)' is not an address or a CIDR range")
        }
        index.webhookQueueDirectory = try read.string("index.webhooks.queuedirectory")
    }
}
