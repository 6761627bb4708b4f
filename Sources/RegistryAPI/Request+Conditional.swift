import HummingbirdCore
import OCI

extension Request {
    /// Whether `If-None-Match` names the entity tag Pier gives `digest`'s content (or is
    /// `*`), so the client's copy is current and a 304 spares sending it again.
    ///
    /// Content is addressed by its digest, so its tag is the quoted digest and never changes.
    /// Weak tags compare equal, as RFC 9110 compares for `If-None-Match`, and a bare digest
    /// without quotes counts too, as distribution accepts it.
    func ifNoneMatchNames(_ digest: Digest) -> Bool {
        guard let header = headers[.ifNoneMatch] else { return false }
        let wanted = digest.description
        for part in header.split(separator: ",") {
            var tag = part.drop { $0 == " " || $0 == "\t" }
            while let last = tag.last, last == " " || last == "\t" { tag = tag.dropLast() }
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag.count >= 2, tag.first == "\"", tag.last == "\"" { tag = tag.dropFirst().dropLast() }
            if tag == wanted { return true }
        }
        return false
    }
}
