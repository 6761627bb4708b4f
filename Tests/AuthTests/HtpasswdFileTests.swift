import Testing
@testable import Auth

@Suite struct HtpasswdFileTests {
    @Test func allThreeBcryptPrefixesVerify() {
        let hash = HtpasswdFile.hashPassword("s3cret", cost: 4)
        #expect(hash.hasPrefix("$2y$04$"))
        let body = hash.dropFirst(4)
        for prefix in ["$2y$", "$2a$", "$2b$"] {
            #expect(HtpasswdFile.verify("s3cret", hash: prefix + body))
            #expect(!HtpasswdFile.verify("wrong", hash: prefix + body))
        }
    }

    @Test func apacheMD5AndPlainHashesNeverVerifyAndAreReported() {
        let file = HtpasswdFile(parsing: "old:$apr1$abc$def\nplain:secret\n")
        #expect(Set(file.unusable) == ["old", "plain"])
        #expect(!HtpasswdFile.verify("secret", hash: "secret"))
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
