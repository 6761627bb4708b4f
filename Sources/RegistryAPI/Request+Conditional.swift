public import HummingbirdCore
public import OCI
import Registry

extension Request {
    /// Whether `If-None-Match` names the entity tag Pier gives `digest`'s content (or is
    /// `*`), so the client's copy is current and a 304 spares sending it again. Content is
    /// addressed by its digest, so its tag is the quoted digest and never changes.
    public func ifNoneMatchNames(_ digest: Digest) -> Bool {
        ifNoneMatchNames(entityTag: digest.description)
    }

    /// Whether `If-None-Match` names `entityTag` (given without quotes) or is `*`. Weak tags
    /// compare equal, as RFC 9110 compares for `If-None-Match`, lists are read element by
    /// element, and a bare tag without quotes counts too, as distribution accepts it; the
    /// web's assets and the API's content answer the same header the same way.
    public func ifNoneMatchNames(entityTag: String) -> Bool {
        guard let header = headers[.ifNoneMatch] else { return false }
        for part in header.split(separator: ",") {
            var tag = part.trimmingOptionalWhitespace
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag.count >= 2, tag.first == "\"", tag.last == "\"" { tag = tag.dropFirst().dropLast() }
            if tag == entityTag { return true }
        }
        return false
    }
}
