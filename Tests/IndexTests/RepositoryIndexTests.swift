import Foundation
import Logging
import OCI
import Registry
import Storage
import TestSupport
import Synchronization
import Testing
@testable import Index

/// The index over a real registry (in-memory driver) and a real SQLite file: events in,
/// repositories, tags, search and stars out.
@Suite struct RepositoryIndexTests {
    let repo = RepositoryName("team/app")!
    let registry: Registry
    let events = RecordingEventSink()

    init() {
        registry = Registry(driver: InMemoryDriver(), events: events)
    }

    func openIndex(_ path: String? = nil) async throws -> RepositoryIndex {
        let file = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("pier-index-\(UUID().uuidString).db").path
        return try await RepositoryIndex(database: try await SQLiteIndexDatabase.open(path: file, logger: Logger(label: "test")), logger: Logger(label: "test"))
    }

    func blob(_ bytes: [UInt8], in repository: RepositoryName) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(repository, digest: digest, body: Chunks(bytes))
        return digest
    }

    /// Pushes a small image tagged `tag`, with `description` as its annotation when given.
    @discardableResult
    func pushImage(_ repository: RepositoryName, _ tag: String, layer: [UInt8] = [1, 2], description: String? = nil) async throws -> Digest {
        let config = try await blob(Array("{}".utf8), in: repository)
        let layerDigest = try await blob(layer, in: repository)
        let annotations = description.map { #","annotations":{"org.opencontainers.image.description":"\#($0)"}"# } ?? ""
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layerDigest)","size":\#(layer.count)}]\#(annotations)}"#.utf8)
        let (stored, _) = try await registry.putManifest(repository, reference: .tag(Tag(tag)!), bytes: bytes, contentType: MediaType.ociManifest, tags: [], origin: RequestOrigin(actor: "alice"))
        return stored.digest
    }

    func applyAll(_ index: RepositoryIndex) async throws {
        for event in events.events { try await index.apply(event, content: registry) }
        events.reset()
    }

    @Test func aPushedTagIsIndexedWithDigestSizePusherAndDescription() async throws {
        let index = try await openIndex()
        let digest = try await pushImage(repo, "v1", layer: Array(repeating: 7, count: 100), description: "The app of team")
        try await applyAll(index)
        let summary = try #require(try await index.repository("team/app"))
        #expect(summary.tagCount == 1 && summary.description == "The app of team" && summary.namespace == "team")
        let tags = try await index.tags("team/app", order: .pushed, limit: 10, offset: 0)
        #expect(tags.map(\.name) == ["v1"])
        #expect(tags[0].digest == digest.description && tags[0].pusher == "alice")
        #expect(tags[0].size > 102)
    }

    /// An image's annotation is pushed, not sent to be checked: cleaned to one line (no
    /// newline, ESC, BEL, NEL or line separator reaches `docker search`'s terminal), not
    /// refused, and cut at 300 Unicode scalars, not 300 characters of any size.
    @Test func anAnnotatedDescriptionIsStoredAsOneLineCutByScalars() async throws {
        let index = try await openIndex()
        // JSON escapes, as the manifest carries them: newline, ESC, BEL, NEL, U+2028, U+2029, tabs.
        try await pushImage(repo, "v1", description: #"  Line one\n\u001b[31mred\u0007 \u0085next\u2028line\u2029\t\tend  "#)
        let accents = RepositoryName("team/accents")!
        try await pushImage(accents, "v1", description: String(repeating: "a" + String(repeating: #"\u0301"#, count: 200), count: 300))
        try await applyAll(index)
        #expect(try await index.repository("team/app")?.description == "Line one [31mred next line end")
        let cut = try #require(try await index.repository("team/accents")?.description)
        #expect(cut.unicodeScalars.count == 300 && cut.count == 2)
    }

    @Test func pushesOfOneTagAppliedInAnotherOrderThanStorageTookThemEndAtStoragesDigest() async throws {
        let index = try await openIndex()
        let first = try await pushImage(repo, "latest", layer: [1])
        let firstEvents = events.events
        events.reset()
        let second = try await pushImage(repo, "latest", layer: [2])
        // The second push's event arrives first (another instance applied it sooner).
        for event in events.events { try await index.apply(event, content: registry) }
        for event in firstEvents { try await index.apply(event, content: registry) }
        let tags = try await index.tags("team/app", order: .name, limit: 10, offset: 0)
        #expect(first != second)
        #expect(tags.map(\.digest) == [second.description])
    }

    @Test func aTagDeletedWithItsManifestButPushedAgainBeforeTheEventStaysIndexed() async throws {
        let index = try await openIndex()
        let first = try await pushImage(repo, "latest", layer: [1])
        try await applyAll(index)
        try await registry.deleteManifest(repo, .digest(first), origin: RequestOrigin())
        let deletes = events.events
        events.reset()
        let second = try await pushImage(repo, "latest", layer: [2])
        // The new push's event is applied before the delete's (another instance was quicker).
        try await applyAll(index)
        for event in deletes { try await index.apply(event, content: registry) }
        let tags = try await index.tags("team/app", order: .name, limit: 10, offset: 0)
        #expect(tags.map(\.name) == ["latest"] && tags.map(\.digest) == [second.description])
    }

    @Test func pullsAreCountedAndDeletesRemoveTags() async throws {
        let index = try await openIndex()
        try await pushImage(repo, "v1")
        try await pushImage(repo, "v2", layer: [3])
        _ = try await registry.pullManifest(repo, .tag(Tag("v1")!), origin: RequestOrigin())
        _ = try await registry.pullManifest(repo, .tag(Tag("v1")!), origin: RequestOrigin())
        try await registry.deleteManifest(repo, .tag(Tag("v2")!), origin: RequestOrigin())
        try await applyAll(index)
        let summary = try #require(try await index.repository("team/app"))
        #expect(summary.pullCount == 2 && summary.lastPulledAt != nil)
        let tags = try await index.tags("team/app", order: .name, limit: 10, offset: 0)
        #expect(tags.map(\.name) == ["v1"] && tags[0].lastPulledAt != nil)
    }

    @Test func searchFindsNamesPartsDescriptionsAndTagsAndRanksByStars() async throws {
        let index = try await openIndex()
        try await pushImage(RepositoryName("tools/postgres-backup")!, "latest", description: "Nightly dumps of a database")
        try await pushImage(RepositoryName("team/postgres")!, "15-alpine")
        try await pushImage(RepositoryName("team/web")!, "v1")
        try await applyAll(index)
        try await index.star("team/postgres", by: "bob")
        let everyone: @Sendable (String) -> Bool = { _ in true }
        #expect(try await index.search("postgres", visible: everyone, limit: 10, offset: 0).hits.map(\.name).sorted() == ["team/postgres", "tools/postgres-backup"])
        #expect(try await index.search("dumps", visible: everyone, limit: 10, offset: 0).hits.map(\.name) == ["tools/postgres-backup"])
        #expect(try await index.search("alpine", visible: everyone, limit: 10, offset: 0).hits.map(\.name) == ["team/postgres"])
        #expect(try await index.search("team", visible: { $0 != "team/web" }, limit: 10, offset: 0).hits.map(\.name) == ["team/postgres"])
        let all = try await index.search("", visible: everyone, limit: 2, offset: 0)
        #expect(all.total == 3 && all.hits.first?.name == "team/postgres")
        // Without a filter the database pages and counts: the same answers.
        for (query, limit, offset) in [("", 2, 0), ("", 2, 2), ("postgres", 1, 1), ("team", 10, 0), ("nothing", 10, 0)] {
            let filtered = try await index.search(query, visible: everyone, limit: limit, offset: offset)
            let paged = try await index.search(query, visible: nil, limit: limit, offset: offset)
            #expect(paged == filtered, "\(query) \(limit) \(offset)")
        }
        // A broad search (more matches than the threshold) is ordered by popularity.
        let broad = try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1)
        #expect(broad.total == 2 && broad.hits.map(\.name) == ["team/postgres", "team/web"])
        let second = try await index.search("team", visible: nil, limit: 1, offset: 1, broadAbove: 1)
        #expect(second.hits.map(\.name) == ["team/web"])
    }

    /// Docker Hub's order: the repository whose name is the query, then names with a part
    /// starting with it, then names holding it elsewhere, then repositories that only
    /// mention it; stars, pulls and name inside each. A long overview or many tags (which
    /// the full-text rank divided by) no longer sink the repository the query names, and a
    /// search ranks alike whether the database pages it, it is filtered per caller, or it
    /// is broad.
    @Test func searchRanksTheNamedRepositoryFirstThenNamePrefixesThenOtherNamesThenMentionsByPopularityInEach() async throws {
        let index = try await openIndex()
        try await pushImage(RepositoryName("alice/nginx")!, "latest", description: "Official build of Nginx.")
        try await pushImage(RepositoryName("alice/web")!, "v1", description: "Serves the site through nginx")
        for name in ["bob/nginx-proxy", "carol/web-nginx", "dave/nginx-exporter", "eve/nginx-mirror", "alice/redis-junk"] {
            try await pushImage(RepositoryName(name)!, "v1")
        }
        for number in 0..<20 { try await pushImage(RepositoryName("bob/redis")!, "7.\(number)") }
        try await applyAll(index)
        // About 20 KB of overview that never says the word.
        try await index.describe("alice/nginx", description: nil, overview: String(repeating: "Run the server with a config file and mount your site. ", count: 370))
        for user in ["u1", "u2", "u3", "u4"] {
            try await index.star("alice/nginx", by: user)
            try await index.star("bob/redis", by: user)
        }
        // Popular, but no component of its name starts with the word.
        for user in ["u1", "u2"] { try await index.star("carol/web-nginx", by: user) }
        try await index.star("dave/nginx-exporter", by: "u1")
        var pulls = PullTally()
        for _ in 0..<5 { pulls.add("bob/nginx-proxy", tag: "v1", at: IndexClock.now()) }
        try await index.recordPulls(pulls)
        let expected = ["alice/nginx", "dave/nginx-exporter", "bob/nginx-proxy", "eve/nginx-mirror", "carol/web-nginx", "alice/web"]
        let everyone: @Sendable (String) -> Bool = { _ in true }
        #expect(try await index.search("nginx", visible: nil, limit: 10, offset: 0).hits.map(\.name) == expected)
        #expect(try await index.search("NGINX", visible: everyone, limit: 10, offset: 0).hits.map(\.name) == expected)
        #expect(try await index.search("nginx", visible: nil, limit: 2, offset: 2).hits.map(\.name) == ["bob/nginx-proxy", "eve/nginx-mirror"])
        #expect(try await index.search("nginx", visible: { $0 != "dave/nginx-exporter" }, limit: 2, offset: 0).hits.map(\.name) == ["alice/nginx", "bob/nginx-proxy"])
        // A broad search ranks its most popular matches alike.
        let broad = try await index.search("nginx", visible: nil, limit: 10, offset: 0, broadAbove: 1)
        #expect(broad.hits.map(\.name) == expected && broad.total == 6)
        #expect(try await index.search("nginx", visible: nil, limit: 10, offset: 0, broadAbove: 1).hits.map(\.name) == expected)
        #expect(try await index.search("nginx", visible: { $0.hasPrefix("alice/") }, limit: 10, offset: 0, broadAbove: 1).hits.map(\.name) == ["alice/nginx", "alice/web"])
        // Twenty tags do not sink the repository named by one.
        #expect(try await index.search("redis", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["bob/redis", "alice/redis-junk"])
        // The whole name is exact too; a prefix of a part is a prefix.
        #expect(try await index.search("alice/nginx", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["alice/nginx", "alice/web"])
        #expect(try await index.search("ngin", visible: nil, limit: 10, offset: 0).hits.map(\.name) == expected)
    }

    /// `.`, `_` and `-` separate the parts of a name alike in the query and in the name, as
    /// both engines' tokenizers cut them: `my-app` names `alice/my_app` as exactly as
    /// `alice/my-app` (ahead of a more popular repository that mentions it), and a part
    /// such as `v2` of `app.v2` is a word of the name. (PostgreSQL's side is in
    /// `SearchSQLTests` and `test_index.py` on that engine.)
    @Test func searchReadsDotsUnderscoresAndHyphensAsTheSeparatorsOfANamesParts() async throws {
        let index = try await openIndex()
        for name in ["alice/my_app", "alice/my-app", "alice/app.v2", "alice/node-12.x", "bob/tools"] {
            try await pushImage(RepositoryName(name)!, "v1")
        }
        try await applyAll(index)
        try await index.describe("bob/tools", description: "Helpers for my-app", overview: nil)
        try await index.star("bob/tools", by: "u1")
        #expect(try await index.search("my-app", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["alice/my-app", "alice/my_app", "bob/tools"])
        #expect(try await index.search("my.app", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["alice/my-app", "alice/my_app", "bob/tools"])
        #expect(try await index.search("v2", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["alice/app.v2"])
        #expect(try await index.search("12.x", visible: nil, limit: 10, offset: 0).hits.map(\.name) == ["alice/node-12.x"])
        #expect(RepositoryIndex.nameQuery(RepositoryIndex.searchTerms("Alice/My_App.v2")) == "alice my app v2")
    }

    /// A broad search's matches are kept until the next write: a star, a push or a delete
    /// made after it shows in the next search; each caller's filter is cut from them.
    @Test func aKeptBroadSearchIsFreshAfterEveryWriteAndFilteredPerCaller() async throws {
        let index = try await openIndex()
        try await pushImage(RepositoryName("team/a")!, "v1")
        try await pushImage(RepositoryName("team/b")!, "v1")
        try await applyAll(index)
        let first = try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1)
        #expect(first.hits.map(\.name) == ["team/a", "team/b"])
        try await index.star("team/b", by: "bob")
        #expect(try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1).hits.map(\.name) == ["team/b", "team/a"])
        try await pushImage(RepositoryName("team/c")!, "v1")
        try await applyAll(index)
        #expect(try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1).total == 3)
        let onlyA = try await index.search("team", visible: { $0 == "team/a" }, limit: 10, offset: 0, broadAbove: 1)
        #expect(onlyA.hits.map(\.name) == ["team/a"] && onlyA.total == 1)
        try await index.forgetRepository("team/b")
        #expect(try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1).hits.map(\.name) == ["team/a", "team/c"])
        // Once no longer broad, the search known as broad is ranked again.
        try await index.forgetRepository("team/c")
        let narrowed = try await index.search("team", visible: nil, limit: 10, offset: 0, broadAbove: 1)
        #expect(narrowed.hits.map(\.name) == ["team/a"] && narrowed.total == 1)
    }

    @Test func aNarrowSearchCountsEveryMatchAlsoOnAPagePastThem() async throws {
        let index = try await openIndex()
        for name in ["team/a", "team/b", "team/c"] { try await pushImage(RepositoryName(name)!, "v1") }
        try await applyAll(index)
        let page = try await index.search("team", visible: nil, limit: 2, offset: 0)
        #expect(page.hits.count == 2 && page.total == 3)
        let past = try await index.search("team", visible: nil, limit: 2, offset: 10)
        #expect(past.hits.isEmpty && past.total == 3)
    }

    @Test(arguments: [#"" OR 1=1 --"#, "name:*", "NEAR(a b)", "'; DROP TABLE tags; --", "\u{0}", "-", "...", "a*b", String(repeating: "x", count: 5000)])
    func searchInputIsNeverQuerySyntax(_ query: String) async throws {
        let index = try await openIndex()
        try await pushImage(repo, "v1")
        try await applyAll(index)
        _ = try await index.search(query, visible: { _ in true }, limit: 10, offset: 0)
        #expect(try await index.repository("team/app")?.tagCount == 1)
    }

    @Test func starsAreOnePerUserAndCounted() async throws {
        let index = try await openIndex()
        try await pushImage(repo, "v1")
        try await applyAll(index)
        try await index.star("team/app", by: "alice")
        try await index.star("team/app", by: "alice")
        try await index.star("team/app", by: "bob")
        #expect(try await index.repository("team/app")?.starCount == 2)
        #expect(try await index.starred(by: "alice") == ["team/app"])
        try await index.unstar("team/app", by: "alice")
        #expect(try await index.repository("team/app")?.starCount == 1)
        #expect(try await !index.hasStarred("alice", "team/app"))
    }

    @Test func rebuildRecreatesWhatStorageHoldsAndKeepsStars() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-index-\(UUID().uuidString).db").path
        let index = try await openIndex(path)
        try await pushImage(repo, "v1")
        try await pushImage(RepositoryName("other/thing")!, "1.0")
        try await applyAll(index)
        try await index.star("team/app", by: "alice")
        // Storage changes behind the index's back (events lost): a tag gone, a tag added.
        try await registry.deleteManifest(repo, .tag(Tag("v1")!), origin: RequestOrigin())
        try await pushImage(repo, "v2", layer: [9])
        events.reset()
        let (repositories, tags) = try await index.rebuild(from: registry)
        #expect(repositories == 2 && tags == 2)
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["v2"])
        #expect(try await index.repository("team/app")?.starCount == 1)
    }

    /// A repository from before visibilities were written down (NULL: the default then)
    /// keeps what it was when the index opens, so a later change of the default publishes
    /// nothing; a repository made from now on is written with the default.
    @Test func repositoriesKeepTheVisibilityTheyHadWhenTheDefaultChanges() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-index-\(UUID().uuidString).db").path
        let logger = Logger(label: "test")
        let first = try await openIndex(path)
        try await first.database.execute("INSERT INTO repositories (name, created_at, pushed_at) VALUES ('alice/old', 0, 0)")
        await first.database.close()
        let privately = try await RepositoryIndex(
            database: try await SQLiteIndexDatabase.open(path: path, logger: logger), grants: NamespaceGrants(defaultVisibility: .private), logger: logger
        )
        try await pushImage(repo, "v1")
        try await applyAll(privately)
        await privately.database.close()
        let grants = NamespaceGrants(defaultVisibility: .public)
        let publicly = try await RepositoryIndex(database: try await SQLiteIndexDatabase.open(path: path, logger: logger), grants: grants, logger: logger)
        #expect(grants.visibility(of: "alice/old") == .private)
        #expect(grants.visibility(of: repo.value) == .private)
        try await pushImage(RepositoryName("alice/new")!, "v1")
        try await applyAll(publicly)
        #expect(grants.visibility(of: "alice/new") == .public)
        await publicly.database.close()
    }

    /// An organisation's name is a namespace, one component of a repository name: what the
    /// grammar refuses (non-ASCII digits and letters, which `Character.isNumber` and
    /// `isLetter` accept, or `..`) could never hold a repository.
    @Test func anOrganisationsNameIsOneComponentOfARepositoryName() async throws {
        let index = try await openIndex()
        for name in ["\u{663}\u{663}", "x\u{B2}", "\u{E9}t\u{E9}", "a..b", "a___b", "-x", "x-", "Acme", "a/b", "", String(repeating: "x", count: 65)] {
            #expect(try await index.organizationRefusal(name)?.isConflict == false, "\(name)")
        }
        for name in ["acme", "a-b.c_d", "a--b", "a__b", "0x", String(repeating: "x", count: 64)] {
            #expect(try await index.organizationRefusal(name) == nil, "\(name)")
        }
    }

    /// A user's name is a namespace too, held to the same grammar.
    @Test func aUsersNameIsOneComponentOfARepositoryName() async throws {
        let index = try await openIndex()
        for name in ["\u{663}\u{663}", "x\u{B2}", "a..b", "Carol", "-carol"] {
            #expect(try await index.userRefusal(name)?.isConflict == false, "\(name)")
        }
        #expect(try await index.userRefusal("carol.dev") == nil)
    }

    /// An organisation goes whole (its teams, their members, its webhooks and their
    /// deliveries), but not while a repository lives in its namespace; another's stay.
    @Test func anOrganisationIsDeletedWholeOnceItsNamespaceHoldsNoRepository() async throws {
        let index = try await openIndex()
        for name in ["acme", "other"] {
            try await index.createOrganization(name, by: "root")
            try await index.setTeam(name, "devs", permission: .write)
            try await index.addMember(name, "devs", "bob")
            try await index.createWebhook(Webhook(
                id: "hook-\(name)", scope: .organization, target: name, url: "https://example.com/\(name)", events: [.push],
                format: .dockerhub, secret: "", active: true, createdAt: 0, createdBy: "root"
            ))
            try await index.recordDelivery(WebhookDelivery(
                id: "delivery-\(name)", webhook: "hook-\(name)", eventID: "event", event: "push", job: "{}", attempt: 1, deliveredAt: 1,
                status: 200, durationMilliseconds: 1, error: "", requestExcerpt: "", responseExcerpt: "", redeliveryOf: nil
            ))
        }
        try await pushImage(RepositoryName("acme/app")!, "v1")
        try await applyAll(index)
        #expect(try await index.deleteOrganization("acme") == .holdsRepositories)
        #expect(try await index.teams(of: "acme").map(\.name) == ["devs", "owners"])
        try await index.forgetRepository("acme/app")
        #expect(try await index.deleteOrganization("acme") == .deleted)
        #expect(try await index.organization("acme") == nil)
        #expect(try await index.teams(of: "acme").isEmpty)
        #expect(try await index.webhooks(of: "acme", scope: .organization).isEmpty)
        #expect(try await index.database.query("SELECT id FROM webhook_deliveries", []).compactMap { $0["id"].text } == ["delivery-other"])
        #expect(try await index.organizations(of: "bob") == ["other"])
        #expect(try await index.organizations(of: "root") == ["other"])
        #expect(try await index.webhooks(of: "other", scope: .organization).map(\.id) == ["hook-other"])
        #expect(try await index.deleteOrganization("acme") == .notFound)
        #expect(try await index.organizationRefusal("acme") == nil)
    }

    @Test func migrationsRunOnceAndANewerSchemaIsRefused() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-index-\(UUID().uuidString).db").path
        let first = try await openIndex(path)
        await first.database.close()
        let again = try await openIndex(path)
        try await again.database.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
        await again.database.close()
        await #expect(throws: IndexError.schemaTooNew(found: 999, known: IndexMigrations.latest)) { _ = try await openIndex(path) }
    }

    @Test func theFeedCatchesUpAfterAnUncleanStopThenAppliesEvents() async throws {
        let index = try await openIndex()
        try await pushImage(repo, "before")  // stored before the feed ran: only a catch-up finds it
        let feed = IndexFeed()
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test")) }
        for _ in 0..<500 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["before"])
        await feed.receive(ContentEvent(.pull, repo, .manifest(Digest.of([1]), mediaType: nil, size: nil), origin: RequestOrigin()))
        try await registry.deleteManifest(repo, .tag(Tag("before")!), origin: RequestOrigin())
        await feed.receive(ContentEvent(.delete, repo, .tag(Tag("before")!), origin: RequestOrigin()))
        feed.finish()
        await running.value
        #expect(try await index.repository("team/app")?.pullCount == 1)
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty)
        #expect(try await index.state("index_ready") == "true")
        #expect(try await index.states(prefix: "feedrun:").isEmpty)
    }

    @Test func aRunOfAnotherInstanceThatGoesSilentIsNoticedAndStorageReRead() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        let feed = IndexFeed(beat: .milliseconds(100), deadAfter: .milliseconds(500))
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test")) }
        // Another instance took this push and was killed before its index update.
        try await index.setState("feedrun:other", String(IndexClock.now()))
        try await pushImage(repo, "lost")
        events.reset()
        for _ in 0..<1000 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["lost"])
        feed.finish()
        await running.value
        #expect(try await index.states(prefix: "feedrun:").isEmpty)
    }

    @Test func aRunLeftInASQLiteFileByAKilledProcessIsCaughtUpAtTheNextStart() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        // The last process was killed a moment ago, its heartbeat still fresh.
        try await index.setState("feedrun:killed", String(IndexClock.now()))
        try await pushImage(repo, "lost")
        events.reset()
        let feed = IndexFeed()
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test")) }
        for _ in 0..<500 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["lost"])
        #expect(try await index.states(prefix: "feedrun:").isEmpty)
    }

    /// An instance that served without its index (its database down at its start) marked
    /// the repositories it changed: the next run that has its index re-reads those, and only
    /// those (not all of storage), then clears their marks.
    @Test func theRepositoriesMarkedUnindexedAreReReadAtTheNextStartAndCleared() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        let other = RepositoryName("team/other")!
        try await pushImage(repo, "unseen")
        try await pushImage(other, "unmarked")
        events.reset()
        try await registry.markUnindexed(repo)
        let feed = IndexFeed()
        let running = Task { await feed.run(index: index, content: registry, marks: registry, logger: Logger(label: "test")) }
        for _ in 0..<500 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["unseen"])
        #expect(try await index.repository("team/other") == nil)
        #expect(try await registry.unindexedMarks().isEmpty)
    }

    /// A mark whose repository is not known (an event dropped from a full queue) asks for
    /// all of storage; a marked repository storage no longer has loses its tags.
    @Test func aMarkWithoutItsRepositoryReReadsAllOfStorage() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        try await pushImage(repo, "unseen")
        events.reset()
        let gone = RepositoryName("team/gone")!
        try await index.apply(ContentEvent(.push, gone, .manifest(Digest.of([9]), mediaType: nil, size: nil), tag: Tag("v1"), origin: RequestOrigin()), content: registry)
        #expect(try await index.tags("team/gone", order: .name, limit: 10, offset: 0).count == 1)
        try await registry.markUnindexed(nil)
        try await registry.markUnindexed(gone)
        let feed = IndexFeed()
        let running = Task { await feed.run(index: index, content: registry, marks: registry, logger: Logger(label: "test")) }
        for _ in 0..<500 where try await !registry.unindexedMarks().isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["unseen"])
        #expect(try await registry.unindexedMarks().isEmpty)
        // Not in the catalog, so a full re-read passes it by; its own mark empties it.
        #expect(try await index.tags("team/gone", order: .name, limit: 10, offset: 0).isEmpty)
    }

    /// A run that is up when another instance starts without its index notices the marks on
    /// one of its looks, not only at its own next start.
    @Test func aMarkLeftWhileARunIsUpIsNoticedAndCaughtUp() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        let log = RecordingLogHandler()
        let feed = IndexFeed(beat: .milliseconds(50))
        // A mark the start's look clears: once it is gone, the start is over.
        try await registry.markUnindexed(RepositoryName("team/sentinel")!)
        let running = Task { await feed.run(index: index, content: registry, marks: registry, logger: Logger(label: "test") { _ in log }) }
        for _ in 0..<500 where try await !registry.unindexedMarks().isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        let lookedAtStart = log.lines.filter { $0.message.contains("re-reading the repositories it changed") }.count
        #expect(lookedAtStart == 1)
        try await pushImage(repo, "elsewhere")
        events.reset()
        try await registry.markUnindexed(repo)
        for _ in 0..<1000 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["elsewhere"])
        #expect(try await registry.unindexedMarks().isEmpty)
        #expect(log.lines.filter { $0.message.contains("re-reading the repositories it changed") }.count == 2)
    }

    /// Without its index a run marks each repository a push or delete changes, and for a
    /// pull marks nothing (storage tells a re-read nothing of it) but notes the pulled tag's
    /// use, which retention's `keep.within` reads.
    @Test func aRunWithoutItsIndexMarksTheRepositoriesItChangesAndNotesPulledTags() async throws {
        let pulls = IndexFeed()
        let pulling = Task { await pulls.runWithoutIndex(marks: registry, logger: Logger(label: "test")) }
        await pulls.receive(ContentEvent(.pull, repo, .manifest(Digest.of([1]), mediaType: nil, size: nil), tag: Tag("v1"), origin: RequestOrigin()))
        pulls.finish()
        await pulling.value
        #expect(try await registry.unindexedMarks().isEmpty)
        #expect(try await registry.lastUses(repo)["v1"] != nil)

        let pushes = IndexFeed()
        let pushing = Task { await pushes.runWithoutIndex(marks: registry, logger: Logger(label: "test")) }
        try await pushImage(repo, "v1")
        for event in events.events { await pushes.receive(event) }
        for _ in 0..<500 where try await registry.unindexedMarks().isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        let first = try await registry.unindexedMarks()
        #expect(first.map(\.repository) == [repo])
        // A later event marks anew, so a re-read that began before it cannot clear it.
        await pushes.receive(ContentEvent(.delete, repo, .tag(Tag("v1")!), origin: RequestOrigin()))
        pushes.finish()
        await pushing.value
        let second = try await registry.unindexedMarks()
        #expect(second.count == 1 && second != first)
        try await registry.clearUnindexed(first[0])
        #expect(try await registry.unindexedMarks() == second)
        try await registry.clearUnindexed(second[0])
        #expect(try await registry.unindexedMarks().isEmpty)
    }

    /// A database that fails every update (its disk full) costs one re-read of storage and
    /// its retries, not one full read of storage per push.
    @Test func updatesFailingWhileARereadWaitsForItsRetryDoNotEachReadStorage() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")
        for number in 0..<10 { try await pushImage(repo, "t\(number)") }
        let log = RecordingLogHandler()
        // No retry within the test, however slow the machine: only the failures' own re-reads count.
        let feed = IndexFeed(retry: .seconds(600))
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test") { _ in log }) }
        // The run is past its start (its heartbeat written) when the database goes.
        for _ in 0..<500 where try await index.states(prefix: "feedrun:").isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        await index.database.close()
        // One event at a time, each after the last one's failure: a re-read skips the
        // events queued before it began.
        let pushes = events.events.filter { if case .manifest = $0.object { $0.tag != nil } else { false } }
        #expect(pushes.count == 10)
        for (number, event) in pushes.enumerated() {
            await feed.receive(event)
            for _ in 0..<500 where log.lines.filter({ $0.message.contains("index update failed") }).count <= number {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        feed.finish()
        await running.value
        #expect(log.lines.filter { $0.message.contains("index update failed") }.count == 10)
        #expect(log.lines.filter { $0.message.contains("could not catch up") }.count == 1)
    }

    @Test func anUncleanStopOfAnEarlierVersionIsStillCaughtUp() async throws {
        let index = try await openIndex()
        try await index.setState("clean_shutdown", "false")
        try await pushImage(repo, "before")
        events.reset()
        let feed = IndexFeed()
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test")) }
        for _ in 0..<500 where try await index.tags("team/app", order: .name, limit: 10, offset: 0).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        #expect(try await index.tags("team/app", order: .name, limit: 10, offset: 0).map(\.name) == ["before"])
        #expect(try await index.state("clean_shutdown") == nil)
    }

    @Test func aRunOfQueuedPushesLeavesEveryTagSearchableAndALonePushIsFoundWithoutAnotherEvent() async throws {
        let index = try await openIndex()
        try await index.setState("index_ready", "true")  // no catch-up: only the events index
        for number in 0..<30 { try await pushImage(repo, "t\(number)") }
        let feed = IndexFeed()
        for event in events.events { await feed.receive(event) }
        events.reset()
        let running = Task { await feed.run(index: index, content: registry, logger: Logger(label: "test")) }
        func found(_ query: String) async throws -> [String] {
            for _ in 0..<500 {
                let hits = try await index.search(query, visible: nil, limit: 10, offset: 0).hits.map(\.name)
                if !hits.isEmpty { return hits }
                try await Task.sleep(for: .milliseconds(10))
            }
            return []
        }
        // Every tag of the run is in the document, the first as well as the last.
        #expect(try await found("t29") == ["team/app"])
        #expect(try await found("t0") == ["team/app"])
        // A push after the queue drained needs no further event to be found.
        try await pushImage(RepositoryName("solo/tool")!, "lonely")
        for event in events.events { await feed.receive(event) }
        #expect(try await found("lonely") == ["solo/tool"])
        feed.finish()
        await running.value
    }

    @Test func aStartsReReadThatSucceedsOnlyWhenRetriedStillMarksTheIndexReadAndTheRunClean() async throws {
        // Storage cannot be listed when the run starts (a loop where the repositories are).
        let root = TestDrivers.temporaryRoot()
        let writer = Registry(driver: FileSystemDriver(root: root), events: RecordingEventSink())
        try await writer.uploadMonolithic(repo, digest: Digest.of(Array("{}".utf8)), body: Chunks(Array("{}".utf8)))
        let repositories = root + "/docker/registry/v2/repositories"
        try FileManager.default.moveItem(atPath: repositories, toPath: repositories + ".aside")
        try FileManager.default.createSymbolicLink(atPath: repositories, withDestinationPath: repositories)
        let reader = Registry(driver: FileSystemDriver(root: root), events: RecordingEventSink())
        let index = try await openIndex()
        let feed = IndexFeed(retry: .milliseconds(200))
        let messages = RecordingLogHandler()
        let logger = Logger(label: "test") { _ in messages }
        let running = Task { await feed.run(index: index, content: reader, logger: logger) }
        // The start's re-read failed (else this proves nothing about the retry).
        for _ in 0..<1000 where !messages.contains("could not catch up") {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(messages.contains("could not catch up"))
        #expect(try await index.state("index_ready") == nil)
        try FileManager.default.removeItem(atPath: repositories)
        try FileManager.default.moveItem(atPath: repositories + ".aside", toPath: repositories)
        for _ in 0..<500 where try await index.state("index_ready") == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        feed.finish()
        await running.value
        // The retry read storage whole: the next start need not, nor another instance.
        #expect(try await index.state("index_ready") == "true")
        #expect(try await index.states(prefix: "feedrun:").isEmpty)
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func aStopDuringTheCatchUpLeavesTheNextStartToRedoIt() async throws {
        let index = try await openIndex()
        for number in 0..<20 { try await pushImage(RepositoryName("many/r\(number)")!, "v1") }
        let feed = IndexFeed()
        feed.finish()
        await feed.run(index: index, content: registry, logger: Logger(label: "test"))
        #expect(try await index.state("index_ready") == nil)
        #expect(try await index.states(prefix: "feedrun:").count == 1)
    }
}
