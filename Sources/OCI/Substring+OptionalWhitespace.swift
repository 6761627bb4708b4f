extension Substring {
    /// Without the spaces and tabs HTTP allows around a field value or a list element
    /// (RFC 9110's optional whitespace), still a slice of the header, so nothing is copied.
    public var trimmingOptionalWhitespace: Substring {
        var text = drop { $0 == " " || $0 == "\t" }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
