import Foundation
import OCI
import Registry

extension RepositoryIndex {
    /// Brings the index up to date with one event of the registry's. Blob events change
    /// nothing the index shows; manifest pushes, pulls and deletions do.
    public func apply(_ event: ContentEvent, content: any ContentStore) async throws {
        let repository = event.repository.description
        let now = IndexClock.now()
        switch (event.action, event.object) {
        case (.push, .manifest(let digest, let mediaType, _)):
            let stored = try? await content.getManifest(event.repository, .digest(digest))
            var facts = ManifestFacts(size: 0)
            if let stored { facts = await ManifestFacts.read(stored, in: event.repository, from: content) }
            try await recordPush(
                repository, digest: digest.description, mediaType: stored?.mediaType ?? mediaType ?? "",
                tag: event.tag?.description, facts: facts, pusher: event.origin.actor ?? "", at: now
            )
            // Pushes of one tag at once (through two instances, or two requests) may reach the
            // index in another order than storage took them. The tag is read back after its
            // row is written and the row follows storage, so whichever push writes last, the
            // index ends with the digest a pull gets (who pushed it is then not known here).
            if let tag = event.tag, let current = try? await content.getManifest(event.repository, .tag(tag)), current.digest != digest {
                let facts = await ManifestFacts.read(current, in: event.repository, from: content)
                try await recordPush(
                    repository, digest: current.digest.description, mediaType: current.mediaType,
                    tag: tag.description, facts: facts, pusher: "", at: now
                )
            }
        case (.pull, .manifest):
            var tally = PullTally()
            tally.add(repository, tag: event.tag?.description, at: now)
            try await recordPulls(tally)
        case (.delete, .tag(let tag)):
            // A tag that went with its manifest may have been pushed again before this event
            // was applied (the push's event then came first): storage says whether it is gone.
            if (try? await content.getManifest(event.repository, .tag(tag))) != nil { break }
            try await database.execute("DELETE FROM tags WHERE repository = $1 AND name = $2", [.text(repository), .text(tag.description)])
            try await refreshSearchDocument(repository)
        case (.delete, .manifest(let digest, _, _)):
            try await database.execute("DELETE FROM tags WHERE repository = $1 AND digest = $2", [.text(repository), .text(digest.description)])
            try await refreshSearchDocument(repository)
        default:
            break
        }
    }

    /// Writes a batch of pulls in one transaction.
    public func recordPulls(_ tally: PullTally) async throws {
        guard !tally.isEmpty else { return }
        try await database.transaction { database in
            for (repository, counts) in tally.repositories {
                try await database.execute(
                    "UPDATE repositories SET pull_count = pull_count + $2, last_pulled_at = $3 WHERE name = $1",
                    [.text(repository), .integer(counts.count), .integer(counts.last)]
                )
                for (tag, time) in counts.tags {
                    try await database.execute("UPDATE tags SET last_pulled_at = $3 WHERE repository = $1 AND name = $2", [.text(repository), .text(tag), .integer(time)])
                }
            }
        }
    }

    /// What a repository the index creates is stored as: the configured default, written
    /// down, so a later change of the default changes no existing repository; nothing
    /// without namespaces.
    var newRepositoryVisibility: IndexValue {
        grants.map { .text($0.defaultVisibility.rawValue) } ?? .null
    }

    /// Records a manifest pushed to `repository`, creating the repository on its first push
    /// and taking its description from the image's annotation while it has none.
    /// - Parameter refresh: false when the caller rewrites the search document itself,
    ///   once for many tags (a rebuild).
    func recordPush(
        _ repository: String, digest: String, mediaType: String, tag: String?, facts: ManifestFacts, pusher: String, at now: Int64,
        refresh: Bool = true
    ) async throws {
        let visibility = newRepositoryVisibility
        try await database.transaction { database in
            try await database.execute(
                """
                INSERT INTO repositories (name, created_at, pushed_at, visibility) VALUES ($1, $2, $2, $3)
                ON CONFLICT (name) DO UPDATE SET pushed_at = excluded.pushed_at
                """,
                [.text(repository), .integer(now), visibility]
            )
            // Held to the rules a description sent to the API is, but cleaned rather than
            // refused (the image is pushed already): no newline, ESC or BEL reaches the
            // terminal `docker search` prints it to.
            if let annotation = facts.description {
                let description = OneLineText.cleaned(annotation, maximum: OneLineText.descriptionLimit)
                if !description.isEmpty {
                    try await database.execute(
                        "UPDATE repositories SET description = $2 WHERE name = $1 AND description = ''",
                        [.text(repository), .text(description)]
                    )
                }
            }
            if let tag {
                try await database.execute(
                    """
                    INSERT INTO tags (repository, name, digest, media_type, size, platforms, pushed_at, pusher, created_at, labels)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (repository, name) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type,
                        size = excluded.size, platforms = excluded.platforms, pushed_at = excluded.pushed_at, pusher = excluded.pusher,
                        created_at = excluded.created_at, labels = excluded.labels
                    """,
                    [.text(repository), .text(tag), .text(digest), .text(mediaType), .integer(facts.size),
                     .text(facts.platforms.joined(separator: ",")), .integer(now), .text(pusher),
                     facts.created.map(IndexValue.integer) ?? .null, .text(Self.labelsText(facts.labels))]
                )
            }
        }
        if let grants, grants.entry(repository) == nil {
            grants.noteRepository(repository)
            // Other instances learn of the new repository (it may be public by default).
            try await bumpGrantsVersion()
        }
        if refresh { try await refreshSearchDocument(repository) }
    }

    /// Labels as the `labels` column holds them (a JSON object of strings).
    static func labels(_ text: String?) -> [String: String] {
        guard let text, text != "{}", let data = text.data(using: .utf8),
              let labels = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return labels
    }

    /// Labels as the `labels` column holds them: a JSON object, keys sorted.
    static func labelsText(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(labels)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Forgets repository `repository` after the registry deleted it: its tags, stars,
    /// comments, collaborators, description, its own webhooks and its search document (an
    /// organisation's webhooks stay). A repository pushed again later starts afresh. The
    /// deletion's events, queued before this, still reach the hooks deleted here: their jobs
    /// carry the hook (the webhook dispatcher's `WebhookJob.RetiredHook`).
    public func forgetRepository(_ repository: String) async throws {
        try await database.transaction { database in
            for table in ["tags", "stars", "comments", "collaborators"] {
                try await database.execute("DELETE FROM \(table) WHERE repository = $1", [.text(repository)])
            }
            try await database.execute("DELETE FROM webhooks WHERE scope = $1 AND target = $2", [.text(Webhook.Scope.repository.rawValue), .text(repository)])
            try await database.execute("DELETE FROM repositories WHERE name = $1", [.text(repository)])
        }
        try await refreshSearchDocument(repository)
        grants?.forget(repository)
        // Also what tells other instances to read the webhooks again.
        try await bumpGrantsVersion()
    }

    /// Rewrites the search document of `repository` from its row and tags.
    func refreshSearchDocument(_ repository: String) async throws {
        try await database.transaction { database in
            let row = try await database.query("SELECT description, overview FROM repositories WHERE name = $1", [.text(repository)]).first
            let rows = try await database.query("SELECT name, labels FROM tags WHERE repository = $1 ORDER BY pushed_at DESC LIMIT 200", [.text(repository)])
            // Tag names, and the newest image's label values (its maintainer, its source…).
            var words = rows.compactMap { $0["name"].text }
            if let newest = rows.first { words += Self.labels(newest["labels"].text).sorted { $0.key < $1.key }.map(\.value) }
            let tags = words.joined(separator: " ")
            // The name whole and in its parts, so `team/app`, `team` and `app` all find it.
            let name = repository + " " + repository.split(separator: "/").joined(separator: " ")
            let binds: [IndexValue] = [.text(repository), .text(name), row?["description"] ?? .null, row?["overview"] ?? .null, .text(tags)]
            if database.engine == .sqlite {
                guard row != nil else {
                    // A repository gone: its document and its number go with it.
                    try await database.execute("DELETE FROM search_documents WHERE rowid IN (SELECT id FROM search_ids WHERE repository = $1)", [.text(repository)])
                    try await database.execute("DELETE FROM search_ids WHERE repository = $1", [.text(repository)])
                    return
                }
                try await database.execute("INSERT INTO search_ids (repository) VALUES ($1) ON CONFLICT (repository) DO NOTHING", [.text(repository)])
                let id = try await database.query("SELECT id FROM search_ids WHERE repository = $1", [.text(repository)]).first?["id"] ?? .null
                try await database.execute("DELETE FROM search_documents WHERE rowid = $1", [id])
                try await database.execute(
                    "INSERT INTO search_documents (rowid, repository, name, description, overview, tags) VALUES ($6, $1, $2, $3, $4, $5)", binds + [id]
                )
            } else {
                guard row != nil else {
                    try await database.execute("DELETE FROM search_documents WHERE repository = $1", [.text(repository)])
                    return
                }
                // Each text cut at `/ . _ -` before PostgreSQL's parser reads it, as FTS5's
                // unicode61 cuts it on SQLite: the parser keeps `alice/app.v2`, `node-12.x`
                // (as `-12`) or `my_app.tar` whole, so `v2` or `12.x` found nothing there.
                // The query's words are cut alike (``fullTextQuery(_:engine:)``); step 15
                // rewrote the documents written before.
                try await database.execute(
                    """
                    INSERT INTO search_documents (repository, name, description, overview, tags, document) VALUES ($1, $2, $3, $4, $5,
                        setweight(to_tsvector('simple', translate($2, '/._-', '    ')), 'A')
                        || setweight(to_tsvector('simple', translate($3, '/._-', '    ')), 'B')
                        || setweight(to_tsvector('simple', translate($5, '/._-', '    ')), 'C')
                        || setweight(to_tsvector('simple', translate($4, '/._-', '    ')), 'D'))
                    ON CONFLICT (repository) DO UPDATE SET name = excluded.name, description = excluded.description,
                        overview = excluded.overview, tags = excluded.tags, document = excluded.document
                    """,
                    binds
                )
            }
        }
    }

    /// Recreates everything derivable from what `content` holds: every repository of the
    /// catalog with its tags; tags storage no longer has are dropped. Stars, descriptions and
    /// other things only the index holds are kept.
    @discardableResult
    public func rebuild(from content: any ContentStore) async throws -> (repositories: Int, tags: Int) {
        // Never stopped early, so there always is a count.
        try await rebuild(from: content, while: { true }) ?? (0, 0)
    }

    /// ``rebuild(from:)`` that checks `proceed` before each repository and returns nil when
    /// told to stop (a server shutting down does not wait for a full scan).
    public func rebuild(from content: any ContentStore, while proceed: @Sendable () -> Bool) async throws -> (repositories: Int, tags: Int)? {
        var repositories = 0
        var tagCount = 0
        var last: String?
        repeat {
            let page = try await content.catalog(limit: 1000, after: last)
            for name in page.items {
                guard proceed() else { return nil }
                guard let repository = RepositoryName(name) else { continue }
                tagCount += try await rebuild(repository, from: content)
                repositories += 1
            }
            last = page.hasMore ? page.items.last : nil
        } while last != nil
        return (repositories, tagCount)
    }

    /// Re-reads one repository that storage may have changed unseen: its tags, as a
    /// rebuild reads them, or none when storage holds no such repository any more (its
    /// manifests deleted). What only the index holds (stars, comments) stays. For the
    /// repositories an instance without its index marked, which a full rebuild, walking
    /// only the catalog, passes by when they are gone.
    public func reread(_ repository: RepositoryName, from content: any ContentStore) async throws {
        do {
            _ = try await rebuild(repository, from: content)
        } catch let error as RegistryError where error.code == .nameUnknown {
            try await database.execute("DELETE FROM tags WHERE repository = $1", [.text(repository.description)])
            try await refreshSearchDocument(repository.description)
        }
    }

    /// Re-reads one repository's tags from `content`; returns how many it has.
    func rebuild(_ repository: RepositoryName, from content: any ContentStore) async throws -> Int {
        let name = repository.description
        var stored = [String]()
        var last: String?
        repeat {
            let page = try await content.tags(repository, limit: 1000, after: last)
            stored += page.items
            last = page.hasMore ? page.items.last : nil
        } while last != nil
        let known = Dictionary(
            uniqueKeysWithValues: try await database.query("SELECT name, digest FROM tags WHERE repository = $1", [.text(name)])
                .compactMap { row in row["name"].text.map { ($0, row["digest"].text ?? "") } }
        )
        let now = IndexClock.now()
        try await database.execute(
            "INSERT INTO repositories (name, created_at, pushed_at, visibility) VALUES ($1, $2, $2, $3) ON CONFLICT (name) DO NOTHING",
            [.text(name), .integer(now), newRepositoryVisibility]
        )
        if let grants, grants.entry(name) == nil {
            grants.noteRepository(name)
            try await bumpGrantsVersion()
        }
        for tagName in stored {
            guard let tag = Tag(tagName), let manifest = try? await content.getManifest(repository, .tag(tag)) else { continue }
            guard known[tagName] != manifest.digest.description else { continue }
            try await recordPush(
                name, digest: manifest.digest.description, mediaType: manifest.mediaType, tag: tagName,
                facts: await ManifestFacts.read(manifest, in: repository, from: content), pusher: "", at: now, refresh: false
            )
        }
        for gone in Set(known.keys).subtracting(stored) {
            try await database.execute("DELETE FROM tags WHERE repository = $1 AND name = $2", [.text(name), .text(gone)])
        }
        try await refreshSearchDocument(name)
        return stored.count
    }
}
