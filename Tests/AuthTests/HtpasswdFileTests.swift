import Foundation
import Testing
@testable import Auth

@Suite struct HtpasswdFileTests {
    @Test func aNameEndingInAMarkThatJoinsTheColonStillReadsBack() throws {
        // U+0600 prepends itself to what follows: "\u{0600}:" is one Character.
        let user = "ali\u{0600}"
        var file = HtpasswdFile()
        file.set(user: user, hash: "$2y$10$x")
        #expect(HtpasswdFile(parsing: file.text).hash(for: user) == "$2y$10$x")
        let header = "Basic " + Data("\(user):secret".utf8).base64EncodedString()
        let credentials = try #require(HtpasswdProvider.basicCredentials(header))
        #expect(credentials.0 == user && credentials.1 == "secret")
        #expect(throws: (any Error).self) { try HtpasswdCommandLine(parsing: ["-nb", "a\u{0600}:b", "pw"]) }
    }

    /// Trimmed as distribution trims (Go's `strings.TrimSpace`): U+200B is no space there,
    /// and `htpasswd` accepts a name beginning with it, so the name must read back.
    @Test func userNameBeginningWithZeroWidthSpaceReadsBack() throws {
        let command = try HtpasswdCommandLine(parsing: ["-nb", "\u{200B}ali", "pw"])
        var file = HtpasswdFile()
        file.set(user: command.user, hash: "$2y$10$x")
        #expect(HtpasswdFile(parsing: file.text).hash(for: "\u{200B}ali") == "$2y$10$x")
        // Spaces around an entry, as Go trims them, still do not count.
        #expect(HtpasswdFile(parsing: "\u{3000} bob:$2y$10$y \t\n").hash(for: "bob") == "$2y$10$y")
    }

    @Test func allThreeBcryptPrefixesVerify() {
        let hash = HtpasswdFile.hashPassword("s3cret", cost: 4)
        #expect(hash.hasPrefix("$2y$04$"))
        let body = hash.dropFirst(4)
        for prefix in ["$2y$", "$2a$", "$2b$"] {
            #expect(HtpasswdFile.verify("s3cret", hash: prefix + body))
            #expect(!HtpasswdFile.verify("wrong", hash: prefix + body))
        }
    }

    @Test(arguments: [
        // Made by `openssl passwd -apr1 -salt Ab1.xY/z` and Apache's `htpasswd -nbm`.
        ("pass word", "$apr1$Ab1.xY/z$z/PWCfdQj4UcUYkHcQDBM."),
        ("s3cret", "$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0"),
        ("", "$apr1$Ab1.xY/z$gUNn3y9AFJ8GZ3sQ4AhsR/"),
        ("s3cret", "$apr1$J6r7PnGA$mY0BlNRq5LpBXWEW5CHfu1"),
        // `htpasswd -nbs`.
        ("s3cret", "{SHA}/vNB+F2HQ559kaLUZbmHHvZrXpg="),
    ])
    func nginxsApacheMD5AndSHA1HashesVerify(_ password: String, _ hash: String) {
        #expect(HtpasswdFile.verify(password, hash: hash))
        #expect(!HtpasswdFile.verify(password + "x", hash: hash))
        #expect(!HtpasswdFile.verify(password, hash: String(hash.dropLast()) + "A"))
    }

    @Test func weakHashesAreNamedAndUnreadableOnesReported() {
        let bcrypt = HtpasswdFile.hashPassword("pw", cost: 4)
        let file = HtpasswdFile(parsing: "md5:$apr1$abc$def\nsha:{SHA}x\nplain:secret\ndes:rl0uE2r5yWH1c\nbc:\(bcrypt)\nshort:$2y$05$x\n")
        // A bcrypt prefix without a bcrypt hash's shape cannot log in, and is named.
        #expect(Set(file.unusable) == ["plain", "des", "short"])
        #expect(Set(file.weak) == ["md5", "sha"])
        #expect(!HtpasswdFile.verify("secret", hash: "secret"))
        #expect(!HtpasswdFile.verify("x", hash: "$apr1$nodollar"))
    }

    @Test func parsingSkipsCommentsAndBlankLinesAndLaterLinesWin() {
        let file = HtpasswdFile(parsing: "# users\n\nalice:$2y$05$one\nbob:$2y$05$two\nalice:$2y$05$three\n")
        #expect(file.users == ["bob", "alice"])
        #expect(file.hash(for: "alice") == "$2y$05$three")
    }

    @Test func editsRoundTripThroughText() {
        var file = HtpasswdFile()
        file.set(user: "alice", hash: "$2y$05$x")
        file.set(user: "bob", hash: "$2y$05$y")
        let removed = file.remove(user: "alice")
        let removedNobody = file.remove(user: "nobody")
        #expect(removed && !removedNobody)
        #expect(HtpasswdFile(parsing: file.text) == file)
    }

    @Test func userNamesWithColonsOrSpacesAreRefused() {
        #expect(HtpasswdFile.isValidUser("alice"))
        #expect(!HtpasswdFile.isValidUser("a:b"))
        #expect(!HtpasswdFile.isValidUser("a b"))
        #expect(!HtpasswdFile.isValidUser(""))
    }
}
