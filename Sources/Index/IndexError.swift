/// Why the index could not do what was asked.
public enum IndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was written by a newer Pier; reading it could lose what it holds.
    case schemaTooNew(found: Int, known: Int)
    /// The `index.database` URL names no engine Pier speaks.
    case unsupportedDatabase(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            "the index database has schema version \(found), newer than this build's \(known): upgrade Pier"
        case .unsupportedDatabase(let url):
            "'\(url)' is not a database Pier can use (sqlite:///path or postgres://…)"
        }
    }
}
