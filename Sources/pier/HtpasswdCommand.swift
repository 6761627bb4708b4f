import ArgumentParser
import Auth
import Foundation

/// `pier htpasswd …`, and the `pier` binary run under the name `htpasswd`: Apache's tool as
/// the guides to `registry:2` use it (`docker run --entrypoint htpasswd … -Bbn user pw`),
/// with its flags, messages and exit codes, writing bcrypt only.
struct HtpasswdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "htpasswd",
        abstract: "Apache's htpasswd: make or change an htpasswd file (always bcrypt).",
        discussion: HtpasswdCommandLine.usage
    )

    @Argument(parsing: .captureForPassthrough, help: "htpasswd's flags and operands.")
    var arguments: [String] = []

    func run() async throws {
        let status = Self.run(arguments)
        if status != 0 { throw ExitCode(status) }
    }

    /// Runs one command line and returns its exit code, printing what Apache's prints.
    static func run(_ arguments: [String]) -> Int32 {
        let command: HtpasswdCommandLine
        do {
            command = try HtpasswdCommandLine(parsing: arguments)
        } catch {
            // A named problem is named alone; a shapeless one gets the usage text.
            printError(error.message.isEmpty ? HtpasswdCommandLine.usage : error.message)
            return error.exitCode
        }
        for flag in command.ignoredAlgorithms {
            printError("htpasswd: -\(flag) ignored: pier writes bcrypt hashes only")
        }
        do {
            return try execute(command)
        } catch {
            printError(error.message)
            return error.exitCode
        }
    }

    private static func execute(_ command: HtpasswdCommandLine) throws(HtpasswdCommandLine.Failure) -> Int32 {
        guard let path = command.file else {
            let hash = HtpasswdFile.hashPassword(try password(command), cost: command.cost)
            print("\(command.user):\(hash)\n")
            return 0
        }
        let create = command.operation == .update(create: true)
        let existing: HtpasswdFile?
        do {
            // `-c` replaces whatever is there without reading it, as Apache's does.
            existing = try create ? nil : HtpasswdFile.read(from: path)
        } catch {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: \(error)", exitCode: 1)
        }
        if command.operation == .verify {
            guard let existing else {
                throw HtpasswdCommandLine.Failure(message: "htpasswd: cannot open file \(path) for read access", exitCode: 1)
            }
            guard let hash = existing.hash(for: command.user) else {
                throw HtpasswdCommandLine.Failure(message: "User \(command.user) not found", exitCode: 6)
            }
            guard HtpasswdFile.verify(try password(command, verifying: true), hash: hash) else {
                throw HtpasswdCommandLine.Failure(message: "password verification failed", exitCode: 3)
            }
            printError("Password for user \(command.user) correct.")
            return 0
        }
        guard existing != nil || create else {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: cannot modify file \(path); use '-c' to create it", exitCode: 1)
        }
        var contents = create ? HtpasswdFile() : existing ?? HtpasswdFile()
        let message: String
        if command.operation == .delete {
            if contents.remove(user: command.user) {
                message = "Deleting password for user \(command.user)"
            } else {
                printError("User \(command.user) not found")
                return 0
            }
        } else {
            let hash = HtpasswdFile.hashPassword(try password(command), cost: command.cost)
            message = "\(contents.hash(for: command.user) == nil ? "Adding" : "Updating") password for user \(command.user)"
            contents.set(user: command.user, hash: hash)
        }
        // A new file gets the mode Apache's would (0666 less the umask): nginx's workers,
        // which read it as another user, are one of its readers.
        let mask = umask(0)
        umask(mask)
        // Apache's does not make missing directories either.
        do {
            try contents.write(to: path, newFileMode: 0o666 & ~mask, createDirectories: false)
        } catch {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: \(error)", exitCode: 1)
        }
        printError(message)
        return 0
    }

    /// The password from `-b`, `-i` or prompts, refused where bcrypt would use less than
    /// was typed (past 72 bytes, or after a NUL) or where it is empty. Without `-i` it is
    /// asked twice, as Apache's does (two lines when standard input is no terminal), except
    /// for `-v`; a password checked with `-v` is compared as bcrypt reads it.
    private static func password(_ command: HtpasswdCommandLine, verifying: Bool = false) throws(HtpasswdCommandLine.Failure) -> String {
        let password: String
        let mismatch = HtpasswdCommandLine.Failure(message: "htpasswd: password verification error", exitCode: 3)
        if let given = command.password {
            password = given
        } else if command.passwordFromStdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true) else {
                throw HtpasswdCommandLine.Failure(message: "htpasswd: no password on standard input", exitCode: 3)
            }
            if !command.passwordFromStdin && !verifying {
                guard readLine(strippingNewline: true) == line else { throw mismatch }
            }
            password = line
        } else {
            guard let first = getpass(verifying ? "Enter password: " : "New password: ").map({ String(cString: $0) }) else { throw mismatch }
            if !verifying {
                guard let second = getpass("Re-type new password: ").map({ String(cString: $0) }), second == first else { throw mismatch }
            }
            password = first
        }
        if verifying { return password }
        guard !password.isEmpty else {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: the password is empty; pier refuses empty passwords", exitCode: 3)
        }
        guard !password.utf8.contains(0) else {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: the password contains a NUL byte", exitCode: 3)
        }
        guard password.utf8.count <= 72 else {
            throw HtpasswdCommandLine.Failure(message: "htpasswd: the password is \(password.utf8.count) bytes long; bcrypt uses at most 72", exitCode: 5)
        }
        return password
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
