import Auth
import Crypto
import Foundation
import FuzzSupport
import JOSE
import X509

/// What an attacker can hand the authentication layer: `Authorization: Basic` values,
/// htpasswd files, token scopes, and bearer tokens, both arbitrary text and well-signed
/// tokens with arbitrary claims (the fuzzer cannot forge a signature, so the claims checks
/// behind it are reached by signing what it writes). The first byte picks which.
@main
enum AuthFuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    /// libFuzzer calls from one thread, and a signing key is never mutated.
    nonisolated(unsafe) static let key = P256.Signing.PrivateKey()
    static let verifier = TokenVerifier(
        issuer: "fuzz-issuer", service: "fuzz-service", certificates: [],
        jwks: ["fuzz-key": Certificate.PublicKey(key.publicKey)], maximumLifetime: .seconds(3600)
    )
    /// A fixed clock, so a finding replays the same way.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func check(_ bytes: [UInt8]) {
        let body = Array(bytes.dropFirst())
        let text = String(decoding: body, as: UTF8.self)
        switch (bytes.first ?? 0) % 4 {
        case 0:
            // Rewriting a file (`pier user add`) must keep every entry it read.
            let file = HtpasswdFile(parsing: text)
            precondition(HtpasswdFile(parsing: file.text) == file, "htpasswd entries changed on rewrite")
            _ = file.unusable
        case 1:
            if let (user, password) = HtpasswdProvider.basicCredentials(text) {
                precondition(!user.isEmpty && !user.contains(":") && !(user + password).utf8.contains(0))
            }
        case 2:
            for scope in AccessScope.parseList(text) {
                precondition(AccessScope(parsing: scope.description) == scope, "scope reads back differently")
                _ = scope.knownActions
            }
            _ = try? verifier.verify(text, now: now)
        default:
            // `body` is the claims: signed properly, so only the claims decide.
            let header = Base64URL.encode(Array(#"{"alg":"ES256","typ":"JWT","kid":"fuzz-key"}"#.utf8))
            let input = header + "." + Base64URL.encode(body)
            guard let signature = try? key.signature(for: Array(input.utf8)) else { return }
            let token = input + "." + Base64URL.encode(signature.rawRepresentation)
            if let verified = try? verifier.verify(token, now: now) {
                _ = verified.access.map(\.knownActions)
            }
        }
    }
}
