import Auth
import Foundation
import Hummingbird
import Index
import OCI
import Webhooks

/// `/api/v1/repositories/{name}/webhooks…` and `/api/v1/orgs/{org}/webhooks…`: webhooks and
/// their delivery history, for the repository's administrators or the organisation's owners.
extension IndexResponder {
    /// Webhooks a repository may have at most.
    static let webhookLimit = 20

    func webhookRoute(
        _ request: Request, _ query: Query, _ endpoint: String, scope: Webhook.Scope, target: String, _ id: String?,
        _ deliveryID: String?, _ caller: Principal, _ webhooks: WebhookDispatcher
    ) async throws -> Response {
        let base = scope == .repository ? "/api/v1/repositories/\(target)" : "/api/v1/orgs/\(target)"
        if endpoint == "webhooks" {
            if request.method == .post {
                let hooks = try await index.webhooks(of: target, scope: scope)
                guard hooks.count < Self.webhookLimit else {
                    throw JSONFields.invalid("at most \(Self.webhookLimit) webhooks each")
                }
                let fields = try await JSONFields.read(request, limit: 8192, allowed: ["url", "events", "format", "secret", "active"])
                guard let url = try fields.string("url", maximum: 2000) else { throw JSONFields.invalid("'url' is required") }
                var generator = SystemRandomNumberGenerator()
                var hook = Webhook(
                    id: String((0..<16).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" }),
                    scope: scope, target: target, url: url, events: [], format: .dockerhub, secret: "", active: true,
                    createdAt: IndexClock.now(), createdBy: caller.identity.userName ?? ""
                )
                try apply(fields, to: &hook, creating: true)
                if let refusal = await webhooks.refusal(for: hook.url) { throw JSONFields.invalid("'url' refused: \(refusal)") }
                try await index.createWebhook(hook)
                await webhooks.reload()
                var response = try json(WebhookBody(hook))
                response.status = .created
                return response
            }
            try requireGet(request)
            return try json(["results": try await index.webhooks(of: target, scope: scope).map(WebhookBody.init)])
        }
        guard let id, let hook = try await index.webhook(id, of: target, scope: scope) else {
            throw RegistryError(.notFound, "no such webhook")
        }
        switch endpoint {
        case "webhook":
            switch request.method {
            case .get, .head:
                return try json(WebhookBody(hook))
            case .patch:
                let fields = try await JSONFields.read(request, limit: 8192, allowed: ["url", "events", "format", "secret", "active"])
                var changed = hook
                try apply(fields, to: &changed, creating: false)
                if changed.url != hook.url, let refusal = await webhooks.refusal(for: changed.url) {
                    throw JSONFields.invalid("'url' refused: \(refusal)")
                }
                try await index.updateWebhook(changed)
                await webhooks.reload()
                return try json(WebhookBody(changed))
            case .delete:
                _ = try await index.deleteWebhook(id, of: target, scope: scope)
                await webhooks.reload()
                return Response(status: .noContent)
            default:
                throw RegistryError(.unsupported, "use GET, PATCH or DELETE")
            }
        case "deliveries":
            try requireGet(request)
            let (page, size) = try query.paging()
            let (deliveries, total) = try await index.deliveries(of: hook.id, limit: size, offset: (page - 1) * size)
            var response = try json(PageBody(count: total, page: page, pageSize: size, results: deliveries.map(DeliveryBody.init)))
            if page * size < total {
                response.headers[.link] = "<\(pathPrefix)\(base)/webhooks/\(hook.id)/deliveries?page=\(page + 1)&page_size=\(size)>; rel=\"next\""
            }
            return response
        default:  // redeliver
            guard request.method == .post else { throw RegistryError(.unsupported, "use POST") }
            guard let deliveryID, let delivery = try await index.delivery(deliveryID, of: hook.id) else {
                throw RegistryError(.notFound, "no such delivery")
            }
            do {
                try await webhooks.redeliver(delivery)
            } catch WebhookError.queueFull {
                // Not queued, so not "queued": the hook's receiver has a backlog to take first.
                throw RegistryError(
                    .unavailable, "the webhook's queue is full: nothing was queued; try again once its receiver has taken its backlog",
                    status: 503
                )
            }
            var response = try json(["status": "queued", "redelivery_of": delivery.id, "event_id": delivery.eventID])
            response.status = .accepted
            return response
        }
    }

    /// Sets what `fields` say of `hook`, every value checked first; creating, `events` is
    /// required.
    private func apply(_ fields: JSONFields, to hook: inout Webhook, creating: Bool) throws {
        var changed = hook
        if let url = try fields.string("url", maximum: 2000) { changed.url = url }
        if let words = try fields.strings("events", maximum: Webhook.Event.allCases.count) {
            var events = [Webhook.Event]()
            for word in words {
                guard let event = Webhook.Event(rawValue: word) else {
                    throw JSONFields.invalid("'\(word)' is not one of push, tag_delete, manifest_delete")
                }
                if !events.contains(event) { events.append(event) }
            }
            guard !events.isEmpty else { throw JSONFields.invalid("'events' must name at least one event") }
            changed.events = events
        } else if creating {
            throw JSONFields.invalid("'events' is required: push, tag_delete, manifest_delete")
        }
        if let word = try fields.string("format", maximum: 32) {
            guard let format = Webhook.Format(rawValue: word) else { throw JSONFields.invalid("'format' must be dockerhub or cloudevents") }
            changed.format = format
        }
        if let secret = try fields.string("secret", maximum: 200) { changed.secret = secret }
        if let active = try fields.bool("active") { changed.active = active }
        hook = changed
    }
}
