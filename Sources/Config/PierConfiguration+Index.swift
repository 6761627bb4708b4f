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
        // Privacy must never be assumed where it is not enforced: refuse, do not ignore.
        for key in ["index.namespaces", "index.defaultvisibility", "index.webhooks"] where read.has(key) {
            throw ConfigurationError(key: key, message: "this setting is not yet supported by pier")
        }
    }
}
