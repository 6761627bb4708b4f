public import Registry

extension PierConfiguration {
    /// `gc`, Pier's addition: garbage collection while the registry serves.
    public struct CollectionSettings: Sendable, Equatable {
        /// `gc.enabled`; by default on wherever deletes are (`storage.delete.enabled`), since
        /// a registry that lets clients delete should free what they deleted. Never in
        /// read-only mode.
        public var enabled: Bool?
        /// `gc.interval`: how long after one collection finished (on any instance sharing
        /// the store) the next starts.
        public var interval: Duration = .seconds(24 * 3600)
        /// `gc.grace`: nothing written more recently is removed; longer than any push takes
        /// between uploading its layers and its manifest.
        public var grace: Duration = .seconds(3600)
        /// `gc.untagged.delete`: manifests no tag reaches (and no kept index or subject)
        /// are removed, as distribution's `--delete-untagged`.
        public var deleteUntagged = false
        /// `gc.untagged.age`: how old an untagged manifest must be before it goes.
        public var untaggedAge: Duration = .zero
        /// `gc.dryrun`: log what would be removed, remove nothing.
        public var dryRun = false
    }

    /// Whether the server collects garbage, by `gc.enabled` or its default.
    public var collectsGarbage: Bool {
        !readOnly && (collection.enabled ?? (deleteEnabled || mirrors.contains { $0.ttl != nil }))
    }

    /// The collector's retention: each mirror's TTL first (a mirrored namespace keeps what
    /// was pulled within it), then the `retention` rules.
    public var retentionRules: [RetentionRule] {
        // The longest prefix first, as requests are routed: `hub/internal` before `hub`.
        mirrors.sorted { $0.prefix.count > $1.prefix.count }.compactMap { mirror in
            mirror.ttl.map { RetentionRule(repositories: [mirror.repositories], keepWithin: $0, untaggedAfter: $0) }
        } + retention
    }

    mutating func applyCollection(_ read: ConfigurationTree) throws(ConfigurationError) {
        if let enabled = try read.bool("gc.enabled") { collection.enabled = enabled }
        if let interval = try read.duration("gc.interval", unitRequired: true) {
            guard interval > .zero else { throw ConfigurationError(key: "gc.interval", message: "must be longer than zero") }
            collection.interval = interval
        }
        if let grace = try read.duration("gc.grace", unitRequired: true) {
            guard grace >= .zero else { throw ConfigurationError(key: "gc.grace", message: "must not be negative") }
            collection.grace = grace
        }
        if let delete = try read.bool("gc.untagged.delete") { collection.deleteUntagged = delete }
        if let age = try read.duration("gc.untagged.age", unitRequired: true) {
            guard age >= .zero else { throw ConfigurationError(key: "gc.untagged.age", message: "must not be negative") }
            collection.untaggedAge = age
        }
        if let dryRun = try read.bool("gc.dryrun") { collection.dryRun = dryRun }
    }
}

extension PierConfiguration.CollectionSettings {
    /// The collector's options for these settings; upload sessions go with the upload
    /// purge's age when that purge is on.
    public func options(uploadPurging: PierConfiguration.UploadPurging, retention: [RetentionRule] = []) -> GarbageCollector.Options {
        var options = GarbageCollector.Options(
            dryRun: dryRun,
            untagged: deleteUntagged ? .delete(after: untaggedAge) : .keep,
            grace: grace,
            uploadAge: uploadPurging.enabled ? uploadPurging.age : nil
        )
        options.retention = retention
        return options
    }
}
