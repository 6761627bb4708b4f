import Testing
@testable import Auth

@Suite struct HtpasswdCommandLineTests {
    @Test func theGuidesOneLinerPrintsAUserFromTheCommandLine() throws {
        for arguments in [["-Bbn", "testuser", "testpassword"], ["-nbB", "testuser", "testpassword"], ["-B", "-b", "-n", "testuser", "testpassword"]] {
            let command = try HtpasswdCommandLine(parsing: arguments)
            #expect(command.operation == .print)
            #expect(command.file == nil)
            #expect(command.user == "testuser")
            #expect(command.password == "testpassword")
            #expect(command.cost == 10)
        }
    }

    @Test func fileOperationsTakeTheFileFirst() throws {
        let create = try HtpasswdCommandLine(parsing: ["-cB", "/auth/htpasswd", "admin"])
        #expect(create.operation == .update(create: true))
        #expect(create.file == "/auth/htpasswd" && create.user == "admin" && create.password == nil)
        #expect(try HtpasswdCommandLine(parsing: ["-b", "f", "u", "p"]).operation == .update(create: false))
        #expect(try HtpasswdCommandLine(parsing: ["-D", "f", "u"]).operation == .delete)
        let verify = try HtpasswdCommandLine(parsing: ["-vb", "f", "u", "p"])
        #expect(verify.operation == .verify && verify.password == "p")
    }

    @Test func deleteWithBStillTakesAPasswordAsApachesDoes() throws {
        #expect(try HtpasswdCommandLine(parsing: ["-Db", "f", "u", "ignored"]).operation == .delete)
        #expect(throws: HtpasswdCommandLine.Failure.usage()) { try HtpasswdCommandLine(parsing: ["-Db", "f", "u"]) }
    }

    @Test func costComesFromCOrRWithinApachesRange() throws {
        #expect(try HtpasswdCommandLine(parsing: ["-nbB", "-C", "12", "u", "p"]).cost == 12)
        #expect(try HtpasswdCommandLine(parsing: ["-nbBC", "5", "u", "p"]).cost == 5)
        #expect(try HtpasswdCommandLine(parsing: ["-nbBr", "7", "u", "p"]).cost == 7)
        for cost in ["3", "18"] {
            #expect(throws: HtpasswdCommandLine.Failure.self) { try HtpasswdCommandLine(parsing: ["-nbB", "-C", cost, "u", "p"]) }
        }
        #expect(throws: HtpasswdCommandLine.Failure.usage()) { try HtpasswdCommandLine(parsing: ["-nbBC"]) }
    }

    @Test func otherAlgorithmsAreNamedSoTheCommandCanSayItIgnoredThem() throws {
        #expect(try HtpasswdCommandLine(parsing: ["-nbm", "u", "p"]).ignoredAlgorithms == ["m"])
        #expect(try HtpasswdCommandLine(parsing: ["-nbsp", "u", "p"]).ignoredAlgorithms == ["s", "p"])
        #expect(try HtpasswdCommandLine(parsing: ["-nbB", "u", "p"]).ignoredAlgorithms.isEmpty)
    }

    @Test(arguments: [
        ["-nc", "u"],            // one of -c -n -v -D
        ["-vD", "f", "u"],
        ["-nbi", "u", "p"],      // -b and -i
        ["-n"],                  // operands missing
        ["-nb", "u"],
        ["f"],
        ["-b", "f", "u"],
        ["-n", "u", "extra"],
        ["-x", "f", "u"],        // unknown flag
        ["-C", "ten", "f", "u"],
    ])
    func badCommandLinesAreSyntaxErrors(_ arguments: [String]) {
        let failure = #expect(throws: HtpasswdCommandLine.Failure.self) { try HtpasswdCommandLine(parsing: arguments) }
        #expect(failure?.exitCode == 2, "\(arguments)")
    }

    @Test func aUserNameWithAColonIsRefusedWithApachesCode() throws {
        #expect(throws: HtpasswdCommandLine.Failure(message: "htpasswd: username contains illegal character ':'", exitCode: 6)) {
            try HtpasswdCommandLine(parsing: ["-nb", "a:b", "p"])
        }
        // Apache takes a space inside a name; around it, it would not read back.
        #expect(try HtpasswdCommandLine(parsing: ["-nb", "a b", "p"]).user == "a b")
        for user in [" a", "a ", "", "a\nb", "#a", " \u{301}a", "a\u{A0}"] {
            #expect(throws: HtpasswdCommandLine.Failure.self) { try HtpasswdCommandLine(parsing: ["-nb", user, "p"]) }
        }
    }

    @Test func doubleDashEndsTheFlags() throws {
        let command = try HtpasswdCommandLine(parsing: ["-b", "--", "-file", "-user", "p"])
        #expect(command.file == "-file" && command.user == "-user" && command.password == "p")
    }

    @Test func aCostMayBeAttachedToItsFlag() throws {
        #expect(try HtpasswdCommandLine(parsing: ["-nbBC12", "u", "p"]).cost == 12)
        #expect(try HtpasswdCommandLine(parsing: ["-C12", "-nbB", "u", "p"]).cost == 12)
        #expect(try HtpasswdCommandLine(parsing: ["-r5", "-nbB", "u", "p"]).cost == 5)
    }

    @Test func aLoneDashIsAnOperand() throws {
        // `-` alone is not a flag group: Apache takes it as the file name.
        #expect(try HtpasswdCommandLine(parsing: ["-b", "-", "u", "p"]).file == "-")
    }
}
