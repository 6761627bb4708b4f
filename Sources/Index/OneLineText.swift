/// The rules of text shown on one line, a repository's short description above all: what
/// `docker search` prints to a terminal and a page puts in a heading. Kept in one place so
/// the API, which refuses text that breaks them, and an image's annotation, which is
/// cleaned by them instead, cannot drift apart.
public enum OneLineText {
    /// The longest short description, in Unicode scalars (Docker Hub's is 100; images'
    /// annotations run longer).
    public static let descriptionLimit = 300

    /// Whether `scalar` has no place on one line: a C0 or C1 control (ESC and BEL, which a
    /// terminal acts on, NEL U+0085), DEL, or a line or paragraph separator (U+2028,
    /// U+2029). Each of them breaks the line or makes a terminal do something.
    public static func breaks(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// `text` as one line of at most `maximum` scalars, made so rather than refused (an
    /// image's annotation was pushed, not sent to be checked): whatever ``breaks(_:)`` the
    /// line becomes a space, every run of whitespace one space, and the ends are trimmed.
    public static func cleaned(_ text: String, maximum: Int) -> String {
        var scalars = String.UnicodeScalarView()
        var count = 0
        var spaceBefore = false
        for scalar in text.unicodeScalars {
            if breaks(scalar) || scalar.properties.isWhitespace {
                // A space only between two kept scalars: none leads, none trails.
                spaceBefore = count > 0
                continue
            }
            let needed = spaceBefore ? 2 : 1
            guard count + needed <= maximum else { break }
            if spaceBefore {
                scalars.append(" ")
                spaceBefore = false
            }
            scalars.append(scalar)
            count += needed
        }
        return String(scalars)
    }
}
