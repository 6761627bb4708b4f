#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Auth

/// Rewriting an htpasswd file must leave readers whole, keep what it does not change, and
/// never act through a name someone else could swap.
@Suite struct HtpasswdFileFilesTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-write-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o7777
    }

    @Test func commentsBlankLinesAndUnreadableLinesStayInPlace() {
        var file = HtpasswdFile(parsing: "# the team\r\n\r\nalice:$2y$05$x\r\nbob:plain\n# end\n")
        file.set(user: "carol", hash: "$2y$10$c")
        file.set(user: "alice", hash: "$2y$10$a")
        #expect(file.text == "# the team\n\nalice:$2y$10$a\nbob:plain\n# end\ncarol:$2y$10$c\n")
        let removed = file.remove(user: "bob")
        #expect(removed)
        #expect(file.text == "# the team\n\nalice:$2y$10$a\n# end\ncarol:$2y$10$c\n")
        #expect(file.users == ["alice", "carol"])
    }

    @Test func aLaterLineForAUserReplacesTheEarlierInItsPlace() {
        let file = HtpasswdFile(parsing: "alice:1\nbob:2\nalice:3\n")
        #expect(file.hash(for: "alice") == "3")
        #expect(file.text == "bob:2\nalice:3\n")
    }

    @Test func anExistingFileKeepsItsModeAndAsRootItsOwner() throws {
        let path = try folder() + "/htpasswd"
        try "alice:x\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, 0o640) == 0)
        let root = geteuid() == 0
        if root { #expect(chown(path, 65534, 65534) == 0) }
        var file = try #require(try HtpasswdFile.read(from: path))
        file.set(user: "bob", hash: "y")
        try file.write(to: path, newFileMode: 0o600, createDirectories: false)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "alice:x\nbob:y\n")
        #expect(mode(path) == 0o640)
        if root {
            var info = stat()
            _ = stat(path, &info)
            #expect(info.st_uid == 65534 && info.st_gid == 65534)
        }
        // Nothing is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: HtpasswdFile.directory(of: path)) == ["htpasswd"])
    }

    @Test func aNewFileGetsTheGivenModeAndMissingDirectoriesOnlyWhenAsked() throws {
        let base = try folder()
        let file = HtpasswdFile(parsing: "alice:x\n")
        try file.write(to: base + "/new", newFileMode: 0o644, createDirectories: false)
        #expect(mode(base + "/new") == 0o644)
        #expect(throws: HtpasswdFile.FileError.self) { try file.write(to: base + "/missing/file", newFileMode: 0o600, createDirectories: false) }
        try file.write(to: base + "/made/file", newFileMode: 0o600, createDirectories: true)
        #expect(mode(base + "/made/file") == 0o600)
    }

    @Test func aSymbolicLinkIsFollowedAndStaysALink() throws {
        let base = try folder()
        try "alice:x\n".write(toFile: base + "/real", atomically: false, encoding: .utf8)
        #expect(symlink("real", base + "/link") == 0)
        var file = try #require(try HtpasswdFile.read(from: base + "/link"))
        file.set(user: "bob", hash: "y")
        try file.write(to: base + "/link", newFileMode: 0o600, createDirectories: false)
        var info = stat()
        #expect(lstat(base + "/link", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        #expect(try String(contentsOfFile: base + "/real", encoding: .utf8) == "alice:x\nbob:y\n")
    }

    @Test func aDirectoryInTheFilesPlaceIsRefused() throws {
        let base = try folder()
        try FileManager.default.createDirectory(atPath: base + "/htpasswd", withIntermediateDirectories: false)
        #expect(throws: HtpasswdFile.FileError.self) {
            try HtpasswdFile(parsing: "a:b\n").write(to: base + "/htpasswd", newFileMode: 0o600, createDirectories: false)
        }
    }

    @Test(arguments: [("f", "."), ("/f", "/"), ("a/b/f", "a/b"), ("/a/f", "/a")])
    func theDirectoryOfAPathNeedsNoFoundation(_ path: String, _ directory: String) {
        #expect(HtpasswdFile.directory(of: path) == directory)
    }

    @Test func aFileThatIsNotUTF8IsRefusedRatherThanRewrittenWithReplacements() throws {
        let path = try folder() + "/latin1"
        try Data([0x6A, 0xF6, 0x72, 0x67, 0x3A, 0x78, 0x0A]).write(to: URL(fileURLWithPath: path))
        #expect(throws: HtpasswdFile.FileError.self) { try HtpasswdFile.read(from: path) }
    }
}
