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
