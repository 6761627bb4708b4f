import Foundation
import Index
import Synchronization

extension WebhookDispatcher {
    /// An event filed while the shared settings version was late (a database slow to
    /// answer): filed at once for the hooks this instance knew, it is kept until the next
    /// reload, so a hook made through another instance just before it still hears it.
    /// Without this, one slow answer lost that hook its event for good.
    struct LateEvent: Sendable {
        /// The event's job, with no hook yet: each hook found later gets a copy.
        var job: WebhookJob
        /// The repository's deletion: its own hooks' jobs then carry the hook as it was.
        var repositoryDeletion: Bool
        /// The hooks the event was filed for already.
        var filed: Set<String>
        var since = ContinuousClock.now
    }

    /// Events kept at most: a database that stays down must not grow memory without end.
    static let lateEventCapacity = 1_000
    /// How long an event waits for the database before it is given up on.
    static let lateEventPatience = Duration.seconds(300)

    /// `template`, the event's job without a hook, as `hook`'s.
    static func job(_ template: WebhookJob, for hook: Webhook, repositoryDeletion: Bool) -> WebhookJob {
        var job = template
        job.hook = hook.id
        // The repository's own hooks go with it right after this: the deletion's jobs
        // carry them (see ``WebhookJob/RetiredHook``). An organisation's hooks stay.
        job.retiredHook = repositoryDeletion && hook.scope == .repository ? WebhookJob.RetiredHook(hook) : nil
        return job
    }

    /// Keeps `event` for the next reload; the oldest goes when too many wait.
    func remember(_ event: LateEvent) {
        let dropped = lateEvents.withLock { events -> Int in
            events.append(event)
            let over = max(0, events.count - Self.lateEventCapacity)
            events.removeFirst(over)
            return over
        }
        if dropped > 0 {
            logger.warning("webhook events waiting for the index dropped", metadata: ["events": "\(dropped)"])
        }
    }

    /// Files the kept events for the hooks that hear them now and did not then: run once
    /// the hooks in memory are the database's again.
    func settleLateEvents() async {
        let events = lateEvents.withLock { events in
            defer { events.removeAll() }
            return events
        }
        for event in events {
            guard event.since.duration(to: .now) < Self.lateEventPatience else {
                logger.warning("a webhook event waited too long for the index", metadata: ["repository": "\(event.job.repository)"])
                continue
            }
            // Only hooks that existed when the event happened: one made after it never hears it.
            for hook in listeners(of: event.job.repository)
            where hook.events.contains(event.job.event) && !event.filed.contains(hook.id) && hook.createdAt <= event.job.time {
                await file(Self.job(event.job, for: hook, repositoryDeletion: event.repositoryDeletion))
            }
        }
    }
}
