public import Auth
import Foundation
public import Index
public import Logging
public import Mirror
public import Notifications
import OCI
public import Registry
import S3
public import Storage
public import Webhooks
import X509

/// Builds what a configuration describes (the storage driver, the registry, its event
/// subscribers, access control) without any HTTP, so every command (`serve`, `gc`,
/// `index rebuild`) starts from the same parts the server uses.
public struct Bootstrap: Sendable {
    /// What to build.
    public let configuration: PierConfiguration
    /// Where the parts log (htpasswd warnings, notification delivery).
    public let logger: Logger

    /// The index's namespaces, visibility and collaborators, shared by the access
    /// controller (which asks) and the index (which keeps them); nil without
    /// `index.namespaces`.
    public let grants: NamespaceGrants?
    /// Personal access tokens, accepted as passwords by every door; nil without the index
    /// or without `auth`.
    public let credentials: IndexCredentials?

    public init(configuration: PierConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.grants = configuration.index.namespaces ? NamespaceGrants(defaultVisibility: configuration.index.defaultVisibility) : nil
        self.credentials = configuration.index.enabled && configuration.authentication != nil ? IndexCredentials() : nil
    }

    /// Absolute storage root, so a relative `./data` means the directory Pier started in.
    public var storageRoot: String {
        Self.absolute(configuration.storageRoot, in: FileManager.default.currentDirectoryPath)
    }

    /// `root` resolved against `directory` (the working directory), written as a person
    /// would: `data` in `/` is `/data`, not `//data` (Pier's image runs in `/`).
    static func absolute(_ root: String, in directory: String) -> String {
        var root = root
        if root.hasPrefix("/") { return root }
        while root.hasPrefix("./") { root.removeFirst(2) }
        if root == "." { root = "" }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return root.isEmpty ? (base.isEmpty ? "/" : base) : base + "/" + root
    }

    /// Where content lives, for the start-up log line.
    public var storageDescription: String {
        guard let s3 = configuration.s3 else { return storageRoot }
        return "s3://\(s3.bucket)/\(s3.rootDirectory) at \(s3.endpoint)"
    }

    /// The storage driver the configuration names: a bucket for `storage.s3`, otherwise
    /// the filesystem under ``storageRoot``.
    public func makeDriver() throws(ConfigurationError) -> any StorageDriver {
        guard let s3 = configuration.s3 else { return FileSystemDriver(root: storageRoot) }
        guard let url = URL(string: s3.endpoint), let scheme = url.scheme, let host = url.host else {
            throw ConfigurationError(key: "storage.s3.regionendpoint", message: "'\(s3.endpoint)' is not a URL")
        }
        // A default port is left out: HTTP clients send `Host` without it, and the
        // signature covers `Host`.
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = url.port.flatMap { $0 == defaultPort ? nil : "\(host):\($0)" } ?? host
        let credentials: any S3CredentialSource = switch s3.credentials {
        case .keys(let keys): keys
        case .role(let endpoint): RenewingCredentials(endpoint: endpoint)
        }
        let client = S3Client(
            endpoint: .init(scheme: scheme, authority: authority, bucket: s3.bucket, pathStyle: s3.pathStyle),
            credentials: credentials,
            region: s3.region,
            skipVerify: s3.skipVerify
        )
        return S3Driver(
            client: client,
            rootDirectory: s3.rootDirectory,
            options: .init(
                chunkSize: s3.chunkSize,
                multipartCopyThreshold: s3.multipartCopyThresholdSize,
                multipartCopyChunkSize: s3.multipartCopyChunkSize,
                multipartCopyMaxConcurrency: s3.multipartCopyMaxConcurrency,
                redirect: !configuration.redirectDisabled,
                objects: s3.objects
            )
        )
    }

    /// The content and everything subscribed to its events, as every command that changes
    /// content needs them: a change made by `pier gc` or an import publishes to the same
    /// subscribers as one made through the HTTP API.
    public struct Content: Sendable {
        /// The registry over the configured driver; ``Registry/shutdown()`` releases the driver.
        public var registry: Registry
        /// The pull-through cache over `registry` when upstreams are configured (`proxy`,
        /// `mirrors`); ``Mirror/shutdown()`` closes its connections and the registry's driver.
        public var mirror: Mirror?
        /// What the doors serve: the mirror when there is one, else the registry.
        public var store: any ContentStore { mirror ?? registry }
        /// Releases connections and the driver.
        public func shutdown() async {
            if let mirror { await mirror.shutdown() } else { await registry.shutdown() }
        }
        /// The notification endpoints' queues, whose delivery the caller runs; nil when none.
        public var notifier: Notifier?
        /// The registry's events on their way to the index, which the caller runs; nil
        /// when the index is off.
        public var indexFeed: IndexFeed?
        /// Repository webhooks, which the caller attaches to the index and runs; nil when
        /// the index is off.
        public var webhooks: WebhookDispatcher?
    }

    /// Builds the driver, the notifier and the registry publishing to it.
    /// - Parameter port: this instance's port, which events name in their `source`.
    public func makeContent(port: Int) async throws -> Content {
        let driver = try makeDriver()
        do {
            try await checkCredentials(driver)
            await checkBucket(driver)
            let source = RegistryEvent.Source(
                addr: "\(ProcessInfo.processInfo.hostName):\(port)",
                instanceID: UUID.random().uuidString.lowercased()
            )
            let notifier = try await makeNotifier(source: source)
            let feed = configuration.index.enabled ? IndexFeed() : nil
            let webhooks = configuration.index.enabled ? WebhookDispatcher(
                directory: configuration.index.webhookQueueDirectory ?? storageRoot + "/pier/webhooks",
                policy: WebhookAddressPolicy(allowed: configuration.index.webhookAllow),
                externalURL: configuration.externalURL,
                pathPrefix: configuration.pathPrefix,
                // Where `repo_url` finds the repository's page (PierServer serves the UI there).
                webPrefix: configuration.web.prefix,
                logger: logger
            ) : nil
            var sinks = [any ContentEventSink]()
            if let notifier { sinks.append(notifier) }
            if let feed { sinks.append(feed) }
            if let webhooks { sinks.append(webhooks) }
            let registry = makeRegistry(driver: driver, events: ContentEventFanOut(sinks))
            let mirror = configuration.mirrors.isEmpty
                ? nil : try Mirror(local: registry, upstreams: configuration.mirrors, logger: logger)
            return Content(registry: registry, mirror: mirror, notifier: notifier, indexFeed: feed, webhooks: webhooks)
        } catch {
            await driver.shutdown()
            throw error
        }
    }

    /// Asks a role's endpoint for keys once before serving or collecting: a host with no
    /// keys anywhere and no role (off EC2, a role never attached) should fail its start
    /// with the reason, not answer every request with 503.
    public func checkCredentials(_ driver: any StorageDriver) async throws {
        guard let s3 = driver as? S3Driver, case .role(let endpoint) = configuration.s3?.credentials else { return }
        do {
            _ = try await s3.client.credentials.credentials()
            logger.info("storage credentials from the role", metadata: ["endpoint": "\(endpoint)"])
        } catch {
            // The source's reason names the endpoint already.
            let reason = if case StorageError.unavailable(_, let reason) = error { reason } else { "\(endpoint): \(error)" }
            throw ConfigurationError(
                key: "storage.s3",
                message: "no credentials: none in the configuration, the AWS_* variables or the shared credentials file, "
                    + "and the role gave none: \(reason)"
            )
        }
    }

    /// Looks for the bucket once before serving, and says at start when it is missing. Not
    /// a refusal to start, as distribution does not refuse: the bucket may be created
    /// later (SeaweedFS creates one at the first write). But a misspelt or never-created
    /// bucket otherwise shows only as 500s naming `NoSuchBucket` on reads, while blob HEADs,
    /// which carry no error code, answer 404 as if the blobs were just not there.
    public func checkBucket(_ driver: any StorageDriver) async {
        guard let s3 = driver as? S3Driver, let settings = configuration.s3 else { return }
        switch await s3.bucketState() {
        case .present:
            break
        case .missing:
            logger.error(
                "the storage bucket does not exist: the registry answers 500 (NoSuchBucket) until it is created",
                metadata: ["bucket": "\(settings.bucket)", "endpoint": "\(settings.endpoint)"]
            )
        case .unknown(let reason):
            logger.warning(
                "the storage bucket could not be checked at start",
                metadata: ["bucket": "\(settings.bucket)", "endpoint": "\(settings.endpoint)", "reason": "\(reason)"]
            )
        }
    }

    /// The registry over `driver`, publishing to `events`.
    public func makeRegistry(driver: any StorageDriver, events: any ContentEventSink = NoContentEvents()) -> Registry {
        var options = Registry.Options(
            deleteEnabled: configuration.deleteEnabled,
            readOnly: configuration.readOnly,
            indexChildren: configuration.indexChildren,
            requireBlobs: configuration.requireManifestBlobs
        )
        options.manifestURLs = configuration.manifestURLs
        options.immutableTags = configuration.immutableTags
        options.quotas = configuration.quotas
        return Registry(driver: driver, options: options, events: events)
    }

    /// The notification endpoints' queues (`notifications`), or nil when none is configured.
    public func makeNotifier(source: RegistryEvent.Source) async throws -> Notifier? {
        guard !configuration.notificationEndpoints.isEmpty else { return nil }
        let directory = configuration.notificationQueueDirectory ?? storageRoot + "/pier/notifications"
        return try await Notifier(endpoints: configuration.notificationEndpoints, directory: directory, source: source, logger: logger)
    }

    /// Where the index is: `index.database`, or `pier/index.db` under the storage root
    /// (beside distribution's `docker/` tree, never inside it).
    public var indexLocation: IndexDatabaseLocation {
        configuration.index.database ?? .sqlite(path: storageRoot + "/pier/index.db")
    }

    /// Opens the index database, creating and migrating it; nil when the index is off.
    public func makeIndex() async throws -> RepositoryIndex? {
        guard configuration.index.enabled else { return nil }
        let database: any IndexDatabase
        switch indexLocation {
        case .sqlite(let path):
            if configuration.s3 != nil, configuration.index.database == nil {
                // With content in a bucket, the machine's disk looks like scratch space; what
                // only the index holds (accounts, visibility, stars, tokens, webhooks) is not.
                logger.warning(
                    "the index is in SQLite on this machine, not in the bucket: keep its directory on a volume, or set index.database (PostgreSQL when several instances share the bucket)",
                    metadata: ["path": "\(path)"]
                )
            }
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            database = try await SQLiteIndexDatabase.open(path: path, logger: logger)
        case .postgres(let location):
            database = try await PostgresIndexDatabase.open(location, logger: logger)
        }
        do {
            let index = try await RepositoryIndex(database: database, grants: grants, logger: logger)
            credentials?.attach(index)
            return index
        } catch {
            await database.close()
            throw error
        }
    }

    /// What `auth` and `access` ask for.
    public struct Access: Sendable {
        /// Authentication and the access policy; nil lets everyone in.
        public var controller: AccessController?
        /// Pier's own token server (`tokenserver`), when configured.
        public var tokenServer: TokenServer?

        /// Where users log in with a password: `auth.htpasswd`, or the token server's file.
        public var logins: HtpasswdProvider? {
            tokenServer?.users ?? controller.flatMap { $0.provider as? HtpasswdProvider }
        }
    }

    /// What Pier's token server needs to answer on its realm's path.
    public struct TokenServer: Sendable {
        /// The realm's path, where clients ask for tokens.
        public var path: String
        /// Signs the tokens.
        public var issuer: TokenIssuer
        /// Who may log in (`tokenserver.htpasswd`).
        public var users: HtpasswdProvider
        /// What the policy grants each user of the scopes asked for.
        public var access: AccessController
    }

    /// The door and the token server the configuration asks for; nothing without `auth`.
    public func makeAccess() throws -> Access {
        guard let authentication = configuration.authentication else { return Access() }
        // One count of attempts per user and client, whichever door they knock on.
        let throttle = LoginThrottle()
        let proxies = configuration.trustedProxies
        switch authentication {
        case .htpasswd(let realm, let path):
            let store = try htpasswdStore(path)
            let provider = HtpasswdProvider(realm: realm, store: store, throttle: throttle, directory: credentials)
            return Access(controller: AccessController(
                provider: provider, policy: configuration.accessPolicy, throttle: throttle, trustedProxies: proxies, grants: grants
            ))
        case .token(let settings):
            var issuer: TokenIssuer?
            if let server = configuration.tokenServer {
                let (key, certificate) = try TokenIssuer.loadOrCreate(keyPath: server.key, certificatePath: server.certificate)
                issuer = TokenIssuer(key: key, certificate: certificate, issuer: settings.issuer, service: settings.service, lifetime: server.lifetime)
            }
            // With Pier's token server its own key is trusted whatever the bundle holds.
            var certificates = try settings.rootCertBundle.map { path throws(ConfigurationError) in
                try Self.tokenCertificates(path, orNone: issuer != nil)
            } ?? []
            // Pier's own key is always trusted by the registry it issues for.
            if let issuer, !certificates.contains(issuer.certificate) { certificates.append(issuer.certificate) }
            let jwks = try settings.jwks.map(Self.tokenKeys) ?? [:]
            let verifier = TokenVerifier(
                issuer: settings.issuer,
                service: settings.service,
                certificates: certificates,
                jwks: jwks,
                algorithms: settings.algorithms,
                maximumLifetime: settings.maximumLifetime
            )
            let access = AccessController(
                provider: TokenProvider(realm: settings.realm, verifier: verifier),
                policy: configuration.accessPolicy,
                throttle: throttle,
                trustedProxies: proxies,
                grants: grants
            )
            guard let issuer, let server = configuration.tokenServer else { return Access(controller: access) }
            let users = HtpasswdProvider(
                realm: "\(settings.service) token server", store: try htpasswdStore(server.htpasswd), throttle: throttle, directory: credentials
            )
            let path = URL(string: settings.realm)?.path ?? "/token"
            return Access(
                controller: access,
                tokenServer: TokenServer(path: path.isEmpty ? "/token" : path, issuer: issuer, users: users, access: access)
            )
        }
    }

    /// Reads the token signers' files as `serve` will (`pier config check`), refusing what
    /// would stop the start. With Pier's token server, `serve` makes its certificate first
    /// (a bundle may name that file) and trusts it whatever the bundle holds.
    public static func checkTokenSigners(_ settings: PierConfiguration.TokenSettings, tokenServer: PierConfiguration.TokenServerSettings?) throws(ConfigurationError) {
        if let bundle = settings.rootCertBundle, !(bundle == tokenServer?.certificate && !FileManager.default.fileExists(atPath: bundle)) {
            _ = try tokenCertificates(bundle, orNone: tokenServer != nil)
        }
        if let jwks = settings.jwks { _ = try tokenKeys(jwks) }
    }

    /// `auth.token.rootcertbundle`'s certificates; `orNone` when another signer is trusted.
    static func tokenCertificates(_ path: String, orNone: Bool = false) throws(ConfigurationError) -> [Certificate] {
        try tokenSigners("auth.token.rootcertbundle", path, kind: "a PEM certificate file", orNone: orNone) { data in
            try TokenVerifier.certificates(pem: String(decoding: data, as: UTF8.self))
        }
    }

    /// `auth.token.jwks`'s keys (those with a `kid`).
    static func tokenKeys(_ path: String) throws(ConfigurationError) -> [String: Certificate.PublicKey] {
        try tokenSigners("auth.token.jwks", path, kind: "a JSON Web Key Set file") { try TokenVerifier.keys(jwks: $0) }
    }

    /// One of `auth.token`'s signer files. One that cannot be read, does not parse or holds
    /// no signer stops the start by its key, as in distribution: a registry trusting no
    /// signer refused every token with nothing said, and a missing file was a bare
    /// Foundation error naming no key.
    private static func tokenSigners<Signers: Collection>(
        _ key: String, _ path: String, kind: String, orNone: Bool = false, parse: (Data) throws -> Signers
    ) throws(ConfigurationError) -> Signers {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(key: key, message: HtpasswdStore.unreadableReason(path, kind: kind))
        }
        let signers: Signers
        do {
            signers = try parse(data)
        } catch {
            throw ConfigurationError(key: key, message: "\(path) is not \(kind) Pier can read: \(error)")
        }
        guard !signers.isEmpty || orNone else {
            throw ConfigurationError(key: key, message: "\(path) holds no signer (certificate, or key with a kid): every token would be refused")
        }
        return signers
    }

    /// Opens an htpasswd file, creating it with a first user when missing.
    private func htpasswdStore(_ path: String) throws -> HtpasswdStore {
        if let password = try HtpasswdStore.createIfMissing(path: path) {
            // Its one user is no sign that the users of a file once there have gone.
            credentials?.htpasswdCreated(at: path)
            logger.warning(
                "htpasswd file was missing: created it with user docker; change this password",
                metadata: ["path": "\(path)", "user": "docker", "password": "\(password)"]
            )
        }
        // A file that cannot be read stops the start, as in distribution, instead of
        // refusing every login with nothing in the log.
        if (try? String(contentsOfFile: path, encoding: .utf8)) == nil {
            throw ConfigurationError(key: "auth.htpasswd.path", message: HtpasswdStore.unreadableReason(path))
        }
        return HtpasswdStore(path: path, onReload: { [logger, credentials] file in
            // A user gone from the file leaves nothing an heir of the name could use.
            credentials?.htpasswdRead(at: path, entries: file.entries)
            for user in file.unusable {
                logger.warning("htpasswd user has a hash of no kind pier reads (bcrypt, $apr1$, {SHA}) and cannot log in", metadata: ["path": "\(path)", "user": "\(user)"])
            }
            for user in file.weak {
                logger.warning("htpasswd user logs in with a weak MD5 or SHA-1 hash: set a bcrypt password (pier user passwd)", metadata: ["path": "\(path)", "user": "\(user)"])
            }
            for user in file.users(costlierThan: HtpasswdStore.maximumDecoyCost) {
                logger.warning(
                    "htpasswd user's bcrypt cost is above \(HtpasswdStore.maximumDecoyCost): each login costs more than an unknown user's, which tells that the user exists",
                    metadata: ["path": "\(path)", "user": "\(user)"]
                )
            }
        }, onUnreadable: { [logger] reason in
            logger.error("htpasswd file cannot be read: every login fails until it can", metadata: ["reason": "\(reason)"])
        })
    }
}
