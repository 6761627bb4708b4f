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

    /// Whether an `If-Match` header rules out the content of `digest`: it is there, is not
    /// `*`, and names no strong tag equal to the content's (RFC 9110 §13.1.1: weak tags
    /// never match). The answer is then 412, as distribution's.
    public func ifMatchFails(_ digest: Digest) -> Bool {
        guard let header = headers[.ifMatch] else { return false }
        for part in header.split(separator: ",") {
            let tag = part.trimmingOptionalWhitespace
            if tag == "*" || tag == "\"\(digest)\"" { return false }
        }
        return true
    }

    /// Whether a `Range` may be honoured under `If-Range` (RFC 9110 §13.1.5): without the
    /// header, or when it is the content's strong tag. A date never holds (blobs are sent
    /// without `Last-Modified`), nor does another tag: the whole content is sent, so a
    /// resuming client never splices bytes of two different contents.
    public func ifRangeHolds(_ digest: Digest) -> Bool {
        guard let header = headers[.ifRange] else { return true }
        return Substring(header).trimmingOptionalWhitespace == "\"\(digest)\""
    }
}
