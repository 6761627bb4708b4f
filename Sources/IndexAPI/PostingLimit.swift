import Synchronization

/// How often one user may post (comments): a fixed window per user, so a script or a
/// stolen session cannot flood a repository's page. Per instance; the table is bounded.
final class PostingLimit: Sendable {
    /// Posts allowed per user per window.
    let allowance: Int
    /// The window, in milliseconds.
    let window: Int64
    private let windows = Mutex<[String: (start: Int64, count: Int)]>([:])
    /// Users tracked at most; past this, finished windows are dropped.
    static let capacity = 10_000

    init(allowance: Int = 10, window: Duration = .seconds(60)) {
        self.allowance = allowance
        self.window = window.components.seconds * 1000
    }

    /// Counts a post by `user` at `now` (milliseconds); nil when allowed, else the seconds
    /// until the next one is.
    func admit(_ user: String, now: Int64) -> Int? {
        windows.withLock { windows in
            if windows.count >= Self.capacity {
                windows = windows.filter { now - $0.value.start < window }
            }
            var entry = windows[user] ?? (now, 0)
            if now - entry.start >= window { entry = (now, 0) }
            guard entry.count < allowance else {
                return Int((entry.start + window - now + 999) / 1000)
            }
            entry.count += 1
            windows[user] = entry
            return nil
        }
    }
}
