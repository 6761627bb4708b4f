import Storage
import Testing

@Suite struct StoragePathTests {
    @Test(arguments: [
        "/", "/docker/registry/v2/blobs/sha256/ab/abcd/data", "/a/.../b", "/a/..b/c", "/a/b./c", "/.hidden/x",
        "/a//b", "/a/b/", "/a/\u{0301}./b", "/\u{0301}x",
    ])
    func pathsWithinTheRootPass(_ path: String) throws {
        try StoragePath.check(path)
    }

    @Test(arguments: [
        "", "relative/path", "/a/../b", "/..", "/.", "/a/.", "/a/./b", "/a/b/..", "/a/b\0c", "\0/a",
        // A combining mark after the separator made it one character with the `/`: split as
        // characters, the `..` before it was no segment of its own.
        "/a/../\u{0301}b", "/../\u{0301}",
        // A prepending mark before the separator joins it the same way.
        "/a\u{0600}/../b",
    ])
    func pathsThatCouldLeaveTheRootAreRefused(_ path: String) {
        #expect(throws: StorageError.self) { try StoragePath.check(path) }
    }
}
