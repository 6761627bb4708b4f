/// One SQL value, the same for every engine, so the index's queries are written once.
public enum IndexValue: Sendable, Equatable {
    case integer(Int64)
    case double(Double)
    case text(String)
    case null

    /// The value as an integer, when it is one.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .double(let value): Int64(value)
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    /// The value as text, when it is some.
    public var text: String? {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .null: nil
        }
    }

    /// The value as a floating-point number, when it is one.
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        case .text(let value): Double(value)
        case .null: nil
        }
    }
}

/// One result row, by column name.
public struct IndexRow: Sendable {
    public var values: [String: IndexValue]

    public init(_ values: [String: IndexValue]) {
        self.values = values
    }

    public subscript(_ column: String) -> IndexValue { values[column] ?? .null }
}
