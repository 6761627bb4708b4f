import Foundation
import Notifications

/// The durable queue of each webhook, one directory per hook under the webhooks directory,
/// opened once: two queue objects over one directory would hand out the same numbers.
actor WebhookQueues {
    let directory: String
    /// Jobs a queue keeps at most; nil: the queues' standard capacity.
    let capacity: Int?
    private var open: [String: EventQueue<WebhookJob>] = [:]
    private var guarded = false

    init(directory: String, capacity: Int? = nil) {
        self.directory = directory
        self.capacity = capacity
    }

    /// The queue of hook `id`, opened (and its leftovers from the last run read) on first use.
    func queue(_ id: String) async throws -> EventQueue<WebhookJob> {
        if let queue = open[id] { return queue }
        if !guarded {
            // A repository's deletion queues its hooks' secrets with the jobs that still go
            // to them: the queues are the owner's alone, as a key file is.
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            guarded = true
        }
        let queue = try await EventQueue<WebhookJob>(directory: directory + "/" + id, capacity: capacity)
        open[id] = queue
        return queue
    }

    /// The hooks with a queue on disk, from this run or an earlier one.
    func onDisk() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in name.allSatisfy { $0.isHexDigit } }
    }

    /// Drops hook `id`'s queue and everything in it (the hook is gone).
    func remove(_ id: String) {
        open[id] = nil
        try? FileManager.default.removeItem(atPath: directory + "/" + id)
    }
}
