import JOSE
import AsyncHTTPClient
import Net
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SwiftASN1
import X509

/// Talks RFC 8555 to an ACME server (Let's Encrypt, pebble) to get a certificate for some
/// host names through http-01 or tls-alpn-01 challenges.
struct ACMEClient {
    typealias ChallengeType = ACMEChallenge

    struct Directory: Decodable {
        var newNonce: String
        var newAccount: String
        var newOrder: String
    }

    struct Order: Decodable {
        var status: String
        var authorizations: [String]
        var finalize: String
        var certificate: String?
    }

    struct Authorization: Decodable {
        struct Challenge: Decodable {
            var type: String
            var url: String
            var token: String?
            var status: String?
            /// Why validation failed (RFC 8555 §8: an invalid challenge carries the problem),
            /// e.g. "Timeout during connect (likely firewall problem)".
            var error: Problem?
        }

        struct Identifier: Decodable {
            var type: String
            var value: String
        }

        var status: String
        var identifier: Identifier?
        var challenges: [Challenge]
    }

    /// An RFC 7807 problem document as ACME sends them (RFC 8555 §6.7), in error replies and
    /// in failed challenges: `detail` is what an operator can act on, and `subproblems`
    /// say which of several hosts failed how.
    struct Problem: Decodable {
        var type: String?
        var detail: String?
        var identifier: Authorization.Identifier?
        var subproblems: [Problem]?

        /// `detail`, then each subproblem's after the host it names; nil when there is no text.
        var explanation: String? {
            var parts = [String]()
            if let detail, !detail.isEmpty { parts.append(detail) }
            for subproblem in subproblems ?? [] {
                guard let text = subproblem.explanation else { continue }
                parts.append(subproblem.identifier.map { "\($0.value): \(text)" } ?? text)
            }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
    }

    struct Reply {
        var status: UInt
        var headers: HTTPHeaders
        var body: Data
    }

    let http: OutboundClient
    let directoryURL: String
    let account: AccountKey
    let challenges: HTTP01Challenges
    let alpnChallenges: TLSALPN01Challenges
    /// The challenges the listeners can answer, in the order to try them: each host is
    /// proved by the first of these its authorization offers.
    let challengeTypes: [ChallengeType]
    let timeout: TimeAmount = .seconds(30)

    /// Registers (or finds) the account and returns its URL, the `kid` of later requests.
    func accountURL(email: String?, session: inout Session) async throws -> String {
        var payload: [String: Any] = ["termsOfServiceAgreed": true]
        if let email, !email.isEmpty { payload["contact"] = ["mailto:\(email)"] }
        let reply = try await post(session.directory.newAccount, payload: payload, session: &session, kid: nil)
        guard let location = reply.headers.first(name: "Location") else {
            throw ACMEError("the ACME server created no account URL")
        }
        return location
    }

    /// Everything one issuance needs between requests.
    struct Session {
        var directory: Directory
        var nonce: String?
        var kid: String?
    }

    func start() async throws -> Session {
        let reply = try await request(directoryURL, method: .GET)
        guard reply.status == 200 else { throw ACMEError("ACME directory \(directoryURL) answered \(reply.status)") }
        let directory = try JSONDecoder().decode(Directory.self, from: reply.body)
        return Session(directory: directory)
    }

    /// Orders, proves control of every host by one of ``challengeTypes``, finalizes with a CSR for `key`,
    /// and returns the PEM certificate chain.
    func obtain(hosts: [String], key: P256.Signing.PrivateKey, email: String?) async throws -> String {
        var session = try await start()
        session.kid = try await accountURL(email: email, session: &session)
        let identifiers = hosts.map { ["type": "dns", "value": $0] }
        let created = try await post(session.directory.newOrder, payload: ["identifiers": identifiers], session: &session)
        guard let orderURL = created.headers.first(name: "Location") else { throw ACMEError("the ACME server gave the order no URL") }
        var order = try decode(Order.self, created)
        for url in order.authorizations {
            try await authorize(url, session: &session)
        }
        let csr = try Self.signingRequest(hosts: hosts, key: key)
        order = try decode(Order.self, try await post(order.finalize, payload: ["csr": Base64URL.encode(csr)], session: &session))
        for _ in 0..<60 where order.status == "processing" || order.status == "pending" || order.status == "ready" {
            try await Task.sleep(for: .seconds(1))
            order = try decode(Order.self, try await post(orderURL, payload: nil, session: &session))
        }
        guard order.status == "valid", let certificateURL = order.certificate else {
            throw ACMEError("the order ended \(order.status) instead of valid")
        }
        let reply = try await post(certificateURL, payload: nil, session: &session, accept: "application/pem-certificate-chain")
        guard let pem = String(data: reply.body, encoding: .utf8), pem.contains("BEGIN CERTIFICATE") else {
            throw ACMEError("the ACME server sent no PEM certificate chain")
        }
        return pem
    }

    private func authorize(_ url: String, session: inout Session) async throws {
        var authorization = try decode(Authorization.self, try await post(url, payload: nil, session: &session))
        if authorization.status == "valid" { return }
        guard let chosen = Self.choose(from: authorization.challenges, preferring: challengeTypes) else {
            throw ACMEError("the ACME server offers no \(challengeTypes.map(\.rawValue).joined(separator: " or ")) challenge")
        }
        let (challenge, challengeType, token) = (chosen.challenge, chosen.type, chosen.token)
        let keyAuthorization = "\(token).\(account.thumbprint)"
        guard let host = authorization.identifier?.value, !host.isEmpty else {
            throw ACMEError("the ACME server's authorization names no host")
        }
        switch challengeType {
        case .http01: challenges.offer(token: token, keyAuthorization: keyAuthorization)
        case .tlsALPN01: try alpnChallenges.offer(host: host, keyAuthorization: keyAuthorization)
        }
        defer {
            switch challengeType {
            case .http01: challenges.withdraw(token: token)
            case .tlsALPN01: alpnChallenges.withdraw(host: host)
            }
        }
        _ = try await post(challenge.url, payload: [String: Any](), session: &session)
        for _ in 0..<60 where authorization.status == "pending" {
            try await Task.sleep(for: .seconds(1))
            authorization = try decode(Authorization.self, try await post(url, payload: nil, session: &session))
        }
        guard authorization.status == "valid" else {
            throw Self.failure(of: authorization, answering: challengeType)
        }
    }

    /// The first of `preferring` that `offered` holds with a token, with its type and token.
    static func choose(
        from offered: [Authorization.Challenge], preferring: [ChallengeType]
    ) -> (challenge: Authorization.Challenge, type: ChallengeType, token: String)? {
        for type in preferring {
            if let challenge = offered.first(where: { $0.type == type.rawValue }), let token = challenge.token {
                return (challenge, type, token)
            }
        }
        return nil
    }

    /// Why `authorization` did not become valid, in the ACME server's words when a challenge
    /// carries them: "could not check the answer" alone leaves an operator guessing between
    /// a firewall, DNS, a port that reaches something else and a proxy in the way.
    static func failure(of authorization: Authorization, answering challengeType: ChallengeType) -> ACMEError {
        let host = authorization.identifier?.value ?? "the host"
        var reason = "authorization for \(host) ended \(authorization.status): the ACME server could not check the \(challengeType.rawValue) answer"
        // The challenge answered carries the error; another's is better than none.
        let problem = authorization.challenges.first { $0.type == challengeType.rawValue && $0.error != nil }?.error
            ?? authorization.challenges.compactMap(\.error).first
        if let explanation = problem?.explanation { reason += ": \(explanation)" }
        // Named so the next attempt tries another challenge: an invalid authorization is
        // final (RFC 8555 §7.1.6), and this one may never work here (port 80 not reachable).
        // One still pending after the wait failed no validation (nor counts as one).
        return ACMEError(reason, type: problem?.type, challenge: authorization.status == "invalid" ? challengeType : nil)
    }

    /// A DER CSR naming every host, signed by the certificate's key.
    static func signingRequest(hosts: [String], key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let signer = Certificate.PrivateKey(key)
        let request = try CertificateSigningRequest(
            version: .v1,
            subject: try DistinguishedName { CommonName(hosts.first ?? "localhost") },
            privateKey: signer,
            attributes: try CertificateSigningRequest.Attributes([
                .init(ExtensionRequest(extensions: try Certificate.Extensions {
                    SubjectAlternativeNames(hosts.map { .dnsName($0) })
                })),
            ]),
            signatureAlgorithm: .ecdsaWithSHA256
        )
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }

    // MARK: transport

    /// A signed POST (payload nil: POST-as-GET), retried on `badNonce` as RFC 8555 §6.5 asks.
    private func post(_ url: String, payload: Any?, session: inout Session, kid: String?? = .none, accept: String? = nil) async throws -> Reply {
        let body = try payload.map { try JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes]) }
        for _ in 0..<5 {
            let nonce: String
            if let saved = session.nonce {
                nonce = saved
                session.nonce = nil
            } else {
                nonce = try await freshNonce(session.directory)
            }
            let signed = try account.sign(body, url: url, nonce: nonce, kid: kid ?? session.kid)
            let reply = try await request(url, method: .POST, body: signed, accept: accept)
            session.nonce = reply.headers.first(name: "Replay-Nonce")
            if reply.status < 300 { return reply }
            let problem = try? JSONDecoder().decode(Problem.self, from: reply.body)
            if problem?.type == "urn:ietf:params:acme:error:badNonce" { continue }
            throw ACMEError("\(url) answered \(reply.status): \(problem?.explanation ?? String(decoding: reply.body.prefix(300), as: UTF8.self))", type: problem?.type)
        }
        throw ACMEError("\(url) kept refusing nonces")
    }

    private func freshNonce(_ directory: Directory) async throws -> String {
        let reply = try await request(directory.newNonce, method: .HEAD)
        guard let nonce = reply.headers.first(name: "Replay-Nonce") else { throw ACMEError("the ACME server gave no nonce") }
        return nonce
    }

    private func request(_ url: String, method: HTTPMethod, body: Data? = nil, accept: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "pier-acme")
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/jose+json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: response.status.code, headers: response.headers, body: Data(bytes.readableBytesView))
    }

    private func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: reply.body)
        } catch {
            throw ACMEError("unexpected ACME reply: \(String(decoding: reply.body.prefix(300), as: UTF8.self))")
        }
    }
}
