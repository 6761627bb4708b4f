/// Why the index could not do what was asked.
public enum IndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was written by a newer Pier; reading it could lose what it holds.
    case schemaTooNew(found: Int, known: Int)
    /// The `index.database` URL names no database Pier can use (its password masked).
    case unsupportedDatabase(String, reason: String)
    /// The database answered with an error; its message, for the log.
    case database(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            "the index database has schema version \(found), newer than this build's \(known): upgrade Pier"
        case .unsupportedDatabase(let url, let reason):
            "'\(url)' \(reason)"
        case .database(let message):
            "the index database failed: \(message)"
        }
    }
}
