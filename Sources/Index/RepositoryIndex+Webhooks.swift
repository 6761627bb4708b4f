/// Webhooks and their delivery history, kept in the database so every instance shows the
/// same history and any of them can redeliver.
extension RepositoryIndex {
    /// Adds a webhook to `repository`.
    public func createWebhook(_ hook: Webhook) async throws {
        try await database.execute(
            """
            INSERT INTO webhooks (id, scope, target, url, events, format, secret, active, created_at, created_by)
            VALUES ($1, $10, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            [.text(hook.id), .text(hook.target), .text(hook.url), .text(hook.events.map(\.rawValue).joined(separator: ",")),
             .text(hook.format.rawValue), .text(hook.secret), .integer(hook.active ? 1 : 0), .integer(hook.createdAt), .text(hook.createdBy),
             .text(hook.scope.rawValue)]
        )
        try await bumpGrantsVersion()
    }

    /// Rewrites a webhook's settings (not its id, repository or creation).
    public func updateWebhook(_ hook: Webhook) async throws {
        try await database.execute(
            "UPDATE webhooks SET url = $2, events = $3, format = $4, secret = $5, active = $6 WHERE id = $1",
            [.text(hook.id), .text(hook.url), .text(hook.events.map(\.rawValue).joined(separator: ",")), .text(hook.format.rawValue),
             .text(hook.secret), .integer(hook.active ? 1 : 0)]
        )
        try await bumpGrantsVersion()
    }

    /// Removes a webhook and its history; false when there was none.
    public func deleteWebhook(_ id: String, of target: String, scope: Webhook.Scope = .repository) async throws -> Bool {
        let rows = try await database.query(
            "DELETE FROM webhooks WHERE id = $1 AND target = $2 AND scope = $3 RETURNING id", [.text(id), .text(target), .text(scope.rawValue)]
        )
        try await bumpGrantsVersion()
        return !rows.isEmpty
    }

    /// The webhooks of a repository (or an organisation), oldest first.
    public func webhooks(of target: String, scope: Webhook.Scope = .repository) async throws -> [Webhook] {
        try await database.query(
            "SELECT \(Self.webhookColumns) FROM webhooks WHERE target = $1 AND scope = $2 ORDER BY created_at ASC, id ASC",
            [.text(target), .text(scope.rawValue)]
        ).map(Self.webhook)
    }

    /// Every active webhook, for delivery.
    public func activeWebhooks() async throws -> [Webhook] {
        try await database.query(
            "SELECT \(Self.webhookColumns) FROM webhooks WHERE active = 1", []
        ).map(Self.webhook)
    }

    /// The webhook `id` of a repository (or an organisation), or nil: another's is not found.
    public func webhook(_ id: String, of target: String, scope: Webhook.Scope = .repository) async throws -> Webhook? {
        try await database.query(
            "SELECT \(Self.webhookColumns) FROM webhooks WHERE id = $1 AND target = $2 AND scope = $3",
            [.text(id), .text(target), .text(scope.rawValue)]
        ).first.map(Self.webhook)
    }

    /// The webhook `id`, whatever its repository (for delivery).
    public func webhook(_ id: String) async throws -> Webhook? {
        try await database.query(
            "SELECT \(Self.webhookColumns) FROM webhooks WHERE id = $1", [.text(id)]
        ).first.map(Self.webhook)
    }

    /// Whether webhook `id` exists (active or not).
    public func webhookExists(_ id: String) async throws -> Bool {
        try await !database.query("SELECT 1 AS one FROM webhooks WHERE id = $1", [.text(id)]).isEmpty
    }

    /// Deliveries kept per webhook: a receiver retried every minute for weeks must not fill
    /// the database, and the newest are the ones anyone reads.
    public static let deliveryHistory = 1000

    /// Records one delivery attempt, dropping the hook's oldest beyond `keep`.
    public func recordDelivery(_ delivery: WebhookDelivery, keep: Int = RepositoryIndex.deliveryHistory) async throws {
        try await database.execute(
            """
            INSERT INTO webhook_deliveries (id, webhook, event_id, event, job, attempt, delivered_at, status, duration_ms, error,
                request_excerpt, response_excerpt, redelivery_of)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """,
            [.text(delivery.id), .text(delivery.webhook), .text(delivery.eventID), .text(delivery.event), .text(delivery.job),
             .integer(Int64(delivery.attempt)), .integer(delivery.deliveredAt), .integer(Int64(delivery.status)),
             .integer(delivery.durationMilliseconds), .text(delivery.error), .text(delivery.requestExcerpt),
             .text(delivery.responseExcerpt), delivery.redeliveryOf.map(IndexValue.text) ?? .null]
        )
        // Older than the keep-th newest (nothing while there are fewer).
        try await database.execute(
            """
            DELETE FROM webhook_deliveries WHERE webhook = $1 AND delivered_at < (
                SELECT delivered_at FROM webhook_deliveries WHERE webhook = $1 ORDER BY delivered_at DESC LIMIT 1 OFFSET $2)
            """,
            [.text(delivery.webhook), .integer(Int64(keep - 1))]
        )
    }

    /// A webhook's deliveries, newest first, `limit` from `offset`, and how many there are.
    public func deliveries(of webhook: String, limit: Int, offset: Int) async throws -> (deliveries: [WebhookDelivery], total: Int) {
        let total = try await database.query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook = $1", [.text(webhook)]).first?["n"].integer ?? 0
        let rows = try await database.query(
            """
            SELECT id, webhook, event_id, event, job, attempt, delivered_at, status, duration_ms, error, request_excerpt,
                   response_excerpt, redelivery_of
            FROM webhook_deliveries WHERE webhook = $1 ORDER BY delivered_at DESC, id DESC LIMIT $2 OFFSET $3
            """,
            [.text(webhook), .integer(Int64(limit)), .integer(Int64(offset))]
        )
        return (rows.map(Self.delivery), Int(total))
    }

    /// The delivery `id` of `webhook`, or nil.
    public func delivery(_ id: String, of webhook: String) async throws -> WebhookDelivery? {
        try await database.query(
            """
            SELECT id, webhook, event_id, event, job, attempt, delivered_at, status, duration_ms, error, request_excerpt,
                   response_excerpt, redelivery_of
            FROM webhook_deliveries WHERE id = $1 AND webhook = $2
            """,
            [.text(id), .text(webhook)]
        ).first.map(Self.delivery)
    }

    /// The version other instances compare to learn that webhooks (or grants) changed.
    public func settingsVersion() async throws -> String {
        try await state(Self.grantsVersionKey) ?? ""
    }

    static let webhookColumns = "id, scope, target, url, events, format, secret, active, created_at, created_by"

    static func webhook(_ row: IndexRow) -> Webhook {
        Webhook(
            id: row["id"].text ?? "", scope: row["scope"].text.flatMap(Webhook.Scope.init(rawValue:)) ?? .repository,
            target: row["target"].text ?? "", url: row["url"].text ?? "",
            events: (row["events"].text ?? "").split(separator: ",").compactMap { Webhook.Event(rawValue: String($0)) },
            format: row["format"].text.flatMap(Webhook.Format.init(rawValue:)) ?? .dockerhub,
            secret: row["secret"].text ?? "", active: row["active"].integer != 0,
            createdAt: row["created_at"].integer ?? 0, createdBy: row["created_by"].text ?? ""
        )
    }

    static func delivery(_ row: IndexRow) -> WebhookDelivery {
        WebhookDelivery(
            id: row["id"].text ?? "", webhook: row["webhook"].text ?? "", eventID: row["event_id"].text ?? "",
            event: row["event"].text ?? "", job: row["job"].text ?? "", attempt: Int(row["attempt"].integer ?? 1),
            deliveredAt: row["delivered_at"].integer ?? 0, status: Int(row["status"].integer ?? 0),
            durationMilliseconds: row["duration_ms"].integer ?? 0, error: row["error"].text ?? "",
            requestExcerpt: row["request_excerpt"].text ?? "", responseExcerpt: row["response_excerpt"].text ?? "",
            redeliveryOf: row["redelivery_of"].text
        )
    }
}
