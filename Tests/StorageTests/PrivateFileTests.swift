#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import Storage
import Testing

/// Keys and password hashes are written so that nobody else can read them at any moment.
@Suite struct PrivateFileTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-private-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o7777
    }

    @Test func aSecretIsOwnerOnlyWhileWrittenAndOnceInPlace() throws {
        let base = try folder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/key.pem"
        var whileWritten: (mode: mode_t, contents: String?, targetExists: Bool)?
        try PrivateFile.save(Array("-----BEGIN PRIVATE KEY-----\n".utf8), to: path) { temporary in
            whileWritten = (mode(temporary), try? String(contentsOfFile: temporary, encoding: .utf8), FileManager.default.fileExists(atPath: path))
        }
        // Under the usual umask 022, a file created and then chmodded is 0644 at this point.
        #expect(whileWritten?.mode == 0o600)
        #expect(whileWritten?.contents == "-----BEGIN PRIVATE KEY-----\n")
        #expect(whileWritten?.targetExists == false)
        #expect(mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "-----BEGIN PRIVATE KEY-----\n")
        // Nothing is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == ["key.pem"])
    }

    @Test func aWorldReadableFileIsReplacedByAnOwnerOnlyOne() throws {
        let base = try folder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/acme_account+key"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, 0o644) == 0)
        try PrivateFile.save(Array("new".utf8), to: path)
        #expect(mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    }

    @Test func aMissingDirectoryIsAFailureNamingThePath() throws {
        let base = try folder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let error = #expect(throws: PrivateFile.Failure.self) { try PrivateFile.save([1], to: base + "/missing/key") }
        #expect(error?.description.contains(base + "/missing/") == true)
    }
}
