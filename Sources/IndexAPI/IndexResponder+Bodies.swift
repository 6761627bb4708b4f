import Index
import Markdown

/// The JSON shapes the index API answers with (keys in snake_case).
extension IndexResponder {
    struct RepositoryBody: Encodable {
        var name: String
        var namespace: String
        var description: String
        var overview: String
        /// The overview rendered by ``SafeMarkdown``: safe to put in a page as is.
        var overviewHtml: String
        var createdAt: String
        var pushedAt: String?
        var pullCount: Int64
        var lastPulledAt: String?
        var starCount: Int64
        var tagCount: Int64
        var starred: Bool
        /// `public` or `private`, with `index.namespaces`; absent without (the access
        /// policy alone decides then).
        var visibility: String?
        var isPrivate: Bool?

        init(_ summary: RepositorySummary, starred: Bool, visibility: NamespaceGrants.Visibility? = nil) {
            self.visibility = visibility?.rawValue
            isPrivate = visibility.map { $0 == .private }
            name = summary.name
            namespace = summary.namespace
            description = summary.description
            overview = summary.overview
            overviewHtml = SafeMarkdown().html(summary.overview)
            createdAt = IndexClock.format(summary.createdAt)
            pushedAt = summary.pushedAt.map(IndexClock.format)
            pullCount = summary.pullCount
            lastPulledAt = summary.lastPulledAt.map(IndexClock.format)
            starCount = summary.starCount
            tagCount = summary.tagCount
            self.starred = starred
        }
    }

    struct TagBody: Encodable {
        var name: String
        var digest: String
        var mediaType: String
        var size: Int64
        var platforms: [String]
        var pushedAt: String
        var pusher: String
        var lastPulledAt: String?
        /// When the image was built, from its config.
        var createdAt: String?
        var labels: [String: String]

        init(_ tag: TagSummary) {
            name = tag.name
            digest = tag.digest
            mediaType = tag.mediaType
            size = tag.size
            platforms = tag.platforms
            pushedAt = IndexClock.format(tag.pushedAt)
            pusher = tag.pusher
            lastPulledAt = tag.lastPulledAt.map(IndexClock.format)
            createdAt = tag.createdAt.map(IndexClock.format)
            labels = tag.labels
        }
    }

    /// A webhook as its administrators see it: whether it has a secret, never the secret.
    struct WebhookBody: Encodable {
        var id: String
        var url: String
        var events: [String]
        var format: String
        var active: Bool
        var hasSecret: Bool
        var createdAt: String
        var createdBy: String

        init(_ hook: Webhook) {
            id = hook.id
            url = hook.url
            events = hook.events.map(\.rawValue)
            format = hook.format.rawValue
            active = hook.active
            hasSecret = !hook.secret.isEmpty
            createdAt = IndexClock.format(hook.createdAt)
            createdBy = hook.createdBy
        }
    }

    struct DeliveryBody: Encodable {
        var id: String
        var eventId: String
        var event: String
        var attempt: Int
        var deliveredAt: String
        var status: Int
        var succeeded: Bool
        var durationMs: Int64
        var error: String
        var request: String
        var response: String
        var redeliveryOf: String?

        init(_ delivery: WebhookDelivery) {
            id = delivery.id
            eventId = delivery.eventID
            event = delivery.event
            attempt = delivery.attempt
            deliveredAt = IndexClock.format(delivery.deliveredAt)
            status = delivery.status
            succeeded = delivery.succeeded
            durationMs = delivery.durationMilliseconds
            error = delivery.error
            request = delivery.requestExcerpt
            response = delivery.responseExcerpt
            redeliveryOf = delivery.redeliveryOf
        }
    }

    struct TokenBody: Encodable {
        var id: String
        var name: String
        var scopes: [String]
        var createdAt: String
        var expiresAt: String?
        var lastUsedAt: String?
        /// Only in the answer that creates it: the token is not kept.
        var token: String?

        init(_ token: AccessToken) {
            id = token.id
            name = token.name
            scopes = token.scopes.map(\.rawValue)
            createdAt = IndexClock.format(token.createdAt)
            expiresAt = token.expiresAt.map(IndexClock.format)
            lastUsedAt = token.lastUsedAt.map(IndexClock.format)
        }
    }

    struct CollaboratorBody: Encodable {
        var user: String
        var role: String
        var grantedAt: String
        var grantedBy: String
    }

    struct CommentBody: Encodable {
        var id: Int64
        var author: String
        var body: String
        /// The body rendered by ``SafeMarkdown``: safe to put in a page as is.
        var bodyHtml: String
        var createdAt: String
        var updatedAt: String?

        init(_ comment: RepositoryComment) {
            id = comment.id
            author = comment.author
            body = comment.body
            bodyHtml = SafeMarkdown().html(comment.body)
            createdAt = IndexClock.format(comment.createdAt)
            updatedAt = comment.updatedAt.map(IndexClock.format)
        }
    }

    /// One page of a listing, with how many there are in all.
    struct PageBody<Item: Encodable>: Encodable {
        var count: Int
        var page: Int
        var pageSize: Int
        var results: [Item]
    }

    struct SearchHit: Encodable {
        var name: String
        var description: String
        var starCount: Int64
        var pullCount: Int64
    }

    /// What the Docker CLI's `docker search` reads.
    struct DockerSearch: Encodable {
        struct Result: Encodable {
            var name: String
            var description: String
            var starCount: Int64
            var isOfficial: Bool
            var isAutomated: Bool
        }

        var query: String
        var numResults: Int
        var numPages: Int
        var page: Int
        var pageSize: Int
        var results: [Result]
    }
}
