import Foundation
import Synchronization
import Testing
@testable import Auth

@Suite struct HtpasswdProviderTests {
    func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }

    @Test func credentialsDecodeUserAndPassword() {
        #expect(HtpasswdProvider.basicCredentials(basic("alice:pw:with:colons"))! == ("alice", "pw:with:colons"))
    }

    /// bcrypt stops at a NUL: `alicepw\0garbage` must not pass as `alicepw`.
    @Test(arguments: ["alice:alicepw\u{0}garbage", "ali\u{0}ce:alicepw", ":pw", "nocolon"])
    func credentialsWithANulByteOrNoUserAreMalformed(_ text: String) {
        #expect(HtpasswdProvider.basicCredentials(basic(text)) == nil)
    }
}

/// Users of a ``CredentialDirectory`` (the index's) log in beside the file's, and a cached
/// login of theirs is re-checked against the directory on every request.
@Suite struct HtpasswdProviderDirectoryTests {
    final class Directory: CredentialDirectory {
        let hashes: Mutex<[String: String]>
        init(_ hashes: [String: String]) { self.hashes = Mutex(hashes) }
        func passwordHash(of user: String) -> String? { hashes.withLock { $0[user] } }
        func recognizes(_ password: String) -> Bool { false }
        func verify(user: String, token: String) async -> CredentialVerdict { .rejected }
    }

    func provider(file: [String: String], directory: Directory) throws -> HtpasswdProvider {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pier-directory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("htpasswd").path
        try file.map { "\($0.key):\(HtpasswdFile.hashPassword($0.value, cost: 4))\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return HtpasswdProvider(realm: "r", store: HtpasswdStore(path: path), throttle: LoginThrottle(), directory: directory)
    }

    func login(_ provider: HtpasswdProvider, _ user: String, _ password: String) async -> String? {
        let header = Substring("Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        return try? await provider.authenticate(header, scopes: [], client: "192.0.2.1").identity.userName
    }

    @Test func aDirectoryUserLogsInAndIsRefusedAtOnceWhenDisabledOrGivenANewPassword() async throws {
        let directory = Directory(["carol": HtpasswdFile.hashPassword("carol-pw", cost: 4)])
        let provider = try provider(file: ["alice": "alice-pw"], directory: directory)
        #expect(await login(provider, "carol", "carol-pw") == "carol")
        #expect(await login(provider, "carol", "wrong") == nil)
        #expect(await login(provider, "alice", "alice-pw") == "alice")
        // Disabled: the cached login is refused on its next use.
        let hash = directory.passwordHash(of: "carol")
        directory.hashes.withLock { $0["carol"] = nil }
        #expect(await login(provider, "carol", "carol-pw") == nil)
        directory.hashes.withLock { $0["carol"] = hash }
        #expect(await login(provider, "carol", "carol-pw") == "carol")
        // A new password: the old one stops, cached or not.
        directory.hashes.withLock { $0["carol"] = HtpasswdFile.hashPassword("carol-new", cost: 4) }
        #expect(await login(provider, "carol", "carol-pw") == nil)
        #expect(await login(provider, "carol", "carol-new") == "carol")
    }

    @Test func theFilesUserWinsOverADirectoryUserOfTheSameName() async throws {
        let directory = Directory(["alice": HtpasswdFile.hashPassword("directory-pw", cost: 4)])
        let provider = try provider(file: ["alice": "file-pw"], directory: directory)
        #expect(await login(provider, "alice", "file-pw") == "alice")
        #expect(await login(provider, "alice", "directory-pw") == nil)
    }
}

/// A login's time must not tell which user names exist: an unknown user's decoy check and a
/// known user's check (evened out by padding decoys) cost the same bcrypt work. The work is
/// counted in bcrypt rounds (2^cost), never timed.
@Suite struct HtpasswdTimingTests {
    /// The rounds a check of `hash` and its padding cost together.
    func rounds(_ hash: String, decoyCost: Int) -> Int {
        let own = HtpasswdFile.bcryptCost(of: hash).map { 1 << $0 } ?? 0
        return own + HtpasswdStore.paddingCosts(for: hash, decoyCost: decoyCost).reduce(0) { $0 + (1 << $1) }
    }

    @Test func everyHashIsPaddedToTheDecoysWork() {
        for decoyCost in [5, 10, 12] {
            let decoy = HtpasswdStore.decoyHash(cost: decoyCost)
            #expect(HtpasswdFile.bcryptCost(of: decoy) == decoyCost)
            #expect(HtpasswdStore.paddingCosts(for: decoy, decoyCost: decoyCost).isEmpty)
            for cost in 4...decoyCost {
                let hash = HtpasswdFile.hashPassword("pw", cost: 4).replacingOccurrences(of: "$04$", with: cost < 10 ? "$0\(cost)$" : "$\(cost)$")
                #expect(rounds(hash, decoyCost: decoyCost) == 1 << decoyCost, "cost \(cost) against a decoy of \(decoyCost)")
            }
            // MD5 and SHA-1 take microseconds: one whole decoy.
            for weak in ["$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0", "{SHA}/vNB+F2HQ559kaLUZbmHHvZrXpg="] {
                #expect(rounds(weak, decoyCost: decoyCost) == 1 << decoyCost)
            }
        }
    }

    /// Through the store: every uncached login, known user or not, runs the same rounds.
    @Test func everyLoginThroughTheStoreRunsTheSameRounds() async throws {
        let rounds = Mutex(0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pier-rounds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("htpasswd").path
        try """
            cheap:\(HtpasswdFile.hashPassword("cheap-pw", cost: 4))
            dear:\(HtpasswdFile.hashPassword("dear-pw", cost: 6))
            md5:$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0
            broken:$2y$05$tooShort

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let store = HtpasswdStore(path: path, cacheLifetime: .seconds(300), cacheCapacity: 100, onReload: { _ in }, onUnreadable: { _ in }) { password, hash in
            rounds.withLock { $0 += HtpasswdFile.bcryptCost(of: hash).map { 1 << $0 } ?? 0 }
            return HtpasswdFile.verify(password, hash: hash)
        }
        #expect(store.decoyCost == 6)
        for (user, password) in [("cheap", "cheap-pw"), ("dear", "dear-pw"), ("md5", "s3cret"), ("broken", "x"), ("nobody", "x"), ("cheap", "wrong")] {
            rounds.withLock { $0 = 0 }
            _ = await store.authenticate(user: user, password: password, cacheKey: "\(user):\(password)", client: "192.0.2.1", throttle: LoginThrottle())
            #expect(rounds.withLock { $0 } == 1 << 6, "\(user)")
        }
    }

    @Test func oneCostlyLineDoesNotMakeEveryUnknownLoginCostly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pier-costly-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("htpasswd").path
        try "svc:$2y$17$\(String(repeating: "a", count: 53))\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(HtpasswdStore(path: path).decoyCost == HtpasswdStore.maximumDecoyCost)
        #expect(HtpasswdFile(parsing: "svc:$2y$17$\(String(repeating: "a", count: 53))").users(costlierThan: 12) == ["svc"])
    }

    @Test func aDearerHashThanTheDecoyGetsNoPadding() {
        #expect(HtpasswdStore.paddingCosts(for: HtpasswdStore.decoyHash(cost: 12), decoyCost: 10).isEmpty)
    }

    @Test func theDecoyNeverMatchesAndItsCostIsTwoDigits() {
        #expect(HtpasswdStore.decoyHash(cost: 5).hasPrefix("$2y$05$"))
        #expect(HtpasswdStore.decoyHash(cost: 12).hasPrefix("$2y$12$"))
        #expect(!HtpasswdFile.verify("", hash: HtpasswdStore.decoyHash(cost: 4)))
        #expect(!HtpasswdFile.verify("AAAAAAAA", hash: HtpasswdStore.decoyHash(cost: 4)))
    }

    @Test func theFilesDearestBcryptSetsTheDecoy() throws {
        let file = HtpasswdFile(parsing: """
            a:\(HtpasswdFile.hashPassword("pw", cost: 5))
            b:\(HtpasswdFile.hashPassword("pw", cost: 7))
            c:$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0
            d:$2y$99$broken
            """)
        #expect(file.dearestCost == 7)
        #expect(HtpasswdFile(parsing: "c:$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0\n").dearestCost == nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pier-decoy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("htpasswd").path
        try file.text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(HtpasswdStore(path: path).decoyCost == 7)
        try "c:$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(HtpasswdStore(path: path).decoyCost == HtpasswdStore.defaultDecoyCost)
    }
}
