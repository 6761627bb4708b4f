public import HummingbirdCore

extension Request {
    /// The request target's path without its query, which every door routes on.
    ///
    /// Cut at the first `?` by bytes: splitting the `String` walked it `Character` by
    /// `Character` and built an array, several times per request, which was a twentieth of
    /// a manifest HEAD's cost.
    public var pathWithoutQuery: Substring {
        let target = head.path ?? "/"
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
        return Substring(target.utf8[..<mark])
    }
}
