import Auth
import Crypto
import Foundation
import FuzzSupport
import JOSE
import X509

/// What an attacker can hand the authentication layer: `Authorization: Basic` values,
/// htpasswd files, token scopes, and bearer tokens, both arbitrary text and well-signed
/// tokens with arbitrary claims (the fuzzer cannot forge a signature, so the claims checks
/// behind it are reached by signing what it writes); and what a script hands `htpasswd`'s
/// command line. The first byte picks which (0xF0 and above: the command line).
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
        if let first = bytes.first, first >= 0xF0 {
            // NUL-separated arguments; a parsed command line names a user it can write.
            let arguments = body.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if let command = try? HtpasswdCommandLine(parsing: arguments) {
                precondition(!command.user.isEmpty && !command.user.contains(":") && (4...17).contains(command.cost))
                precondition((command.file == nil) == (command.operation == .print))
                var file = HtpasswdFile()
                file.set(user: command.user, hash: "$2y$10$x")
                precondition(HtpasswdFile(parsing: file.text).hash(for: command.user) == "$2y$10$x", "a user name does not read back")
            }
            return
        }
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
