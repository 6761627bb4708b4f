import Foundation

/// Base64url without padding (RFC 7515 §2): the encoding of every JWS part, JWK member and
/// thumbprint. One implementation, because a token that Pier signs and an ACME request it
/// sends must agree byte for byte with what their verifiers expect.
public enum Base64URL {
    /// Encodes bytes without `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url; nil for padded input or any other alphabet, which a
    /// strict JOSE parser must refuse rather than guess at.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64).map { [UInt8]($0) }
    }
}
