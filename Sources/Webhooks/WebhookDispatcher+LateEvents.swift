import Foundation
import Index
import Synchronization

extension WebhookDispatcher {
    /// An event filed while the hooks could not be read in time (a database slow to
    /// answer, or failing): filed at once for the hooks this instance knew, it is kept
    /// until a supervision pass has read them, so a hook made through another instance
    /// just before it still hears it. Without this, one slow answer lost that hook the event.
    ///
    /// What stays possible, all rare and written down in docs/index.md: a hook found this
    /// way gets the event after later ones of its repository; a hook switched back on in
    /// the meantime gets it too (inactive hooks are not in memory); one made up to a
    /// second after it gets it as well, the clocks of two instances being that far apart.
    struct LateEvent: Sendable {
        /// The event's job, with no hook yet: each hook found later gets a copy.
        var job: WebhookJob
        /// The repository's deletion: its own hooks' jobs then carry the hook as it was.
        var repositoryDeletion: Bool
        /// The hooks of the repository this instance knew when the event happened, whether
        /// they heard the event or not: none of them is filed for it again.
        var known: Set<String>
        var since = ContinuousClock.now
    }

    /// Events kept at most: a database that stays down must not grow memory without end.
    static let lateEventCapacity = 1_000
    /// How long a kept event stays worth filing: older ones are dropped once the hooks are read.
    static let lateEventPatience = Duration.seconds(300)
    /// How much later than an event a hook may have been made and still hear it: the
    /// hook's time is the clock of the instance it was made through.
    static let clockSkew: Int64 = 1_000

    /// `template`, the event's job without a hook, as `hook`'s.
    static func job(_ template: WebhookJob, for hook: Webhook, repositoryDeletion: Bool) -> WebhookJob {
        var job = template
        job.hook = hook.id
        // The repository's own hooks go with it right after this: the deletion's jobs
        // carry them (see ``WebhookJob/RetiredHook``). An organisation's hooks stay.
        job.retiredHook = repositoryDeletion && hook.scope == .repository ? WebhookJob.RetiredHook(hook) : nil
        return job
    }

    /// Keeps `events` ahead of those kept since, for a later pass; the oldest go when too many wait.
    func keep(_ events: [LateEvent]) {
        let dropped = lateEvents.withLock { kept -> Int in
            kept.insert(contentsOf: events, at: 0)
            let over = max(0, kept.count - Self.lateEventCapacity)
            kept.removeFirst(over)
            return over
        }
        if dropped > 0 {
            logger.warning("webhook events waiting for the index dropped", metadata: ["events": "\(dropped)"])
        }
    }

    /// The kept events, no longer kept.
    func takeLateEvents() -> [LateEvent] {
        lateEvents.withLock { kept in
            defer { kept.removeAll() }
            return kept
        }
    }

    /// Files `events` for the hooks that hear them now and were not known then: run once
    /// the hooks in memory are the database's again.
    func settle(_ events: [LateEvent]) async {
        var expired = 0
        for event in events {
            guard event.since.duration(to: .now) < Self.lateEventPatience else {
                expired += 1
                continue
            }
            for hook in listeners(of: event.job.repository)
            where hook.events.contains(event.job.event) && !event.known.contains(hook.id) && hook.createdAt <= event.job.time + Self.clockSkew {
                await file(Self.job(event.job, for: hook, repositoryDeletion: event.repositoryDeletion))
            }
        }
        if expired > 0 {
            logger.warning("webhook events waited too long for the index and were not filed for new hooks", metadata: ["events": "\(expired)"])
        }
    }
}
