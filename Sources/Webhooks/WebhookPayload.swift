import Crypto
import Foundation
import OCI
public import Index

/// The body and headers of one delivery, in the hook's format, signed with its secret.
public struct WebhookPayload: Sendable {
    public var body: [UInt8]
    public var headers: [(String, String)]

    /// What the receiver is told of the repository, read when the delivery is made.
    public struct RepositoryFacts: Sendable {
        public var description: String
        public var overview: String
        public var isPrivate: Bool
        public var starCount: Int64
        public var commentCount: Int
        public var createdAt: Int64

        public init(description: String, overview: String, isPrivate: Bool, starCount: Int64, commentCount: Int, createdAt: Int64) {
            self.description = description
            self.overview = overview
            self.isPrivate = isPrivate
            self.starCount = starCount
            self.commentCount = commentCount
            self.createdAt = createdAt
        }
    }

    /// Where a payload's links point: `repo_url` (the repository's page in the web UI) and
    /// CloudEvents' `source` (the repository in the registry).
    public struct Links: Sendable, Equatable {
        /// The registry's base with its path prefix (`http.prefix`): absolute, unless
        /// nothing said how clients reach the registry (then only the prefix).
        public var registry: String
        /// The web UI's path below ``registry`` (`web.prefix`), "" for the root.
        public var web: String

        public init(registry: String, web: String = "") {
            self.registry = registry.hasSuffix("/") ? String(registry.dropLast()) : registry
            self.web = web
        }
    }

    /// The delivery of `job` to `hook`: Docker Hub's body or a CloudEvent, with
    /// `X-Pier-Signature-256: sha256=<hex HMAC of the body>` when the hook has a secret.
    /// - Parameter links: where `repo_url` and `source` point.
    public init(job: WebhookJob, hook: Webhook, delivery: String, repository: RepositoryFacts, links: Links) {
        let object: [String: Any]
        let contentType: String
        let seconds = job.time / 1000
        let (namespace, name) = Self.split(job.repository)
        switch hook.format {
        case .dockerhub:
            contentType = "application/json"
            var pushData: [String: Any] = ["pushed_at": seconds, "pusher": job.actor, "images": [String]()]
            pushData["tag"] = job.tag ?? NSNull()
            pushData["digest"] = job.digest ?? NSNull()
            pushData["media_type"] = job.mediaType ?? NSNull()
            object = [
                "callback_url": "",
                "event": job.event.rawValue,
                "push_data": pushData,
                "repository": [
                    "comment_count": repository.commentCount,
                    "date_created": repository.createdAt / 1000,
                    "description": repository.description,
                    "dockerfile": "",
                    "full_description": repository.overview,
                    "is_official": false,
                    "is_private": repository.isPrivate,
                    "is_trusted": false,
                    "name": name,
                    "namespace": namespace,
                    "owner": namespace,
                    "repo_name": job.repository,
                    // The repository's page, where the web UI serves it.
                    "repo_url": links.registry + links.web + "/r/" + job.repository,
                    "star_count": repository.starCount,
                    "status": "Active",
                ] as [String: Any],
            ]
        case .cloudevents:
            contentType = "application/cloudevents+json"
            var data: [String: Any] = ["repository": job.repository, "pusher": job.actor, "is_private": repository.isPrivate]
            data["tag"] = job.tag ?? NSNull()
            data["digest"] = job.digest ?? NSNull()
            data["media_type"] = job.mediaType ?? NSNull()
            object = [
                "specversion": "1.0",
                "id": job.id,
                "source": links.registry + "/" + job.repository,
                "type": "io.pier.repository." + job.event.rawValue,
                "subject": job.tag.map { job.repository + ":" + $0 } ?? (job.digest.map { job.repository + "@" + $0 } ?? job.repository),
                "time": IndexClock.format(job.time),
                "datacontenttype": "application/json",
                "data": data,
            ]
        }
        body = Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
        headers = [
            ("Content-Type", contentType),
            ("User-Agent", "Pier-Webhook/1"),
            ("X-Pier-Event", job.event.rawValue),
            ("X-Pier-Hook", hook.id),
            ("X-Pier-Delivery", delivery),
        ]
        if !hook.secret.isEmpty {
            headers.append(("X-Pier-Signature-256", "sha256=" + Self.signature(body, secret: hook.secret)))
        }
    }

    /// HMAC-SHA256 of `body` with `secret`, in hex, as GitHub's `X-Hub-Signature-256`.
    public static func signature(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return Digest.hex(mac)
    }

    /// `alice/tools/app` → (`alice`, `tools/app`): the namespace is the owner; one component →
    /// (`library`, name), as
    /// Docker Hub names its official images.
    static func split(_ repository: String) -> (namespace: String, name: String) {
        guard let slash = repository.firstIndex(of: "/") else { return ("library", repository) }
        return (String(repository[..<slash]), String(repository[repository.index(after: slash)...]))
    }
}
