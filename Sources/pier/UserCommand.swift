import ArgumentParser
import Auth
import Foundation

/// `pier user add|remove|list|passwd`: manages an htpasswd file, so nobody needs an httpd
/// container to make one. Writes bcrypt (`$2y$`) hashes that distribution and nginx read.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the users of an htpasswd file.",
        subcommands: [Add.self, Remove.self, List.self, Passwd.self]
    )

    struct FileOption: ParsableArguments {
        @Option(name: [.short, .long], help: "The htpasswd file (auth.htpasswd.path).")
        var file: String
    }

    struct PasswordOptions: ParsableArguments {
        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @Option(help: "bcrypt cost, 10 to 17 (htpasswd's limit: each step doubles the time; the server warns above 12).")
        var cost = 10

        func validate() throws {
            guard (10...17).contains(cost) else { throw ValidationError("--cost must be between 10 and 17") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (the file is created when missing).")
        @OptionGroup var file: FileOption
        @OptionGroup var password: PasswordOptions
        @Argument(help: "The user name.") var user: String

        func run() async throws {
            try validUser(user)
            var contents = try read(file.file, mustExist: false)
            guard contents.hash(for: user) == nil else {
                throw UserFileError("user \(user) already exists in \(file.file); use passwd to change the password")
            }
            contents.set(user: user, hash: HtpasswdFile.hashPassword(try readPassword(password), cost: password.cost))
            try write(contents, to: file.file)
            print("added user \(user) to \(file.file)")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")
        @OptionGroup var file: FileOption
        @OptionGroup var password: PasswordOptions
        @Argument(help: "The user name.") var user: String

        func run() async throws {
            var contents = try read(file.file, mustExist: true)
            guard contents.hash(for: user) != nil else { throw UserFileError("no user \(user) in \(file.file)") }
            contents.set(user: user, hash: HtpasswdFile.hashPassword(try readPassword(password), cost: password.cost))
            try write(contents, to: file.file)
            print("changed the password of \(user)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user.")
        @OptionGroup var file: FileOption
        @Argument(help: "The user name.") var user: String

        func run() async throws {
            var contents = try read(file.file, mustExist: true)
            guard contents.remove(user: user) else { throw UserFileError("no user \(user) in \(file.file)") }
            try write(contents, to: file.file)
            print("removed user \(user)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users.")
        @OptionGroup var file: FileOption

        func run() async throws {
            let contents = try read(file.file, mustExist: true)
            let unusable = Set(contents.unusable)
            let weak = Set(contents.weak)
            for user in contents.users {
                if unusable.contains(user) {
                    print("\(user)\t(a hash pier cannot read: cannot log in)")
                } else if weak.contains(user) {
                    print("\(user)\t(MD5 or SHA-1 hash: set a bcrypt password with passwd)")
                } else {
                    print(user)
                }
            }
        }
    }
}

private func validUser(_ user: String) throws {
    guard HtpasswdFile.isValidUser(user) else {
        throw ValidationError("'\(user)' is not a valid user name: no colons, spaces or line breaks")
    }
}

private func read(_ path: String, mustExist: Bool) throws -> HtpasswdFile {
    guard let file = try HtpasswdFile.read(from: path) else {
        if mustExist { throw UserFileError("no htpasswd file at \(path)") }
        return HtpasswdFile()
    }
    return file
}

/// Replaces the file as ``HtpasswdFile/write(to:newFileMode:createDirectories:)`` does; a
/// new one is readable by its owner only.
private func write(_ file: HtpasswdFile, to path: String) throws {
    try file.write(to: path, newFileMode: 0o600, createDirectories: true)
}

private func readPassword(_ options: UserCommand.PasswordOptions) throws -> String {
    let password: String
    if options.passwordStdin || isatty(STDIN_FILENO) == 0 {
        guard let line = readLine(strippingNewline: true) else { throw UserFileError("no password on standard input") }
        password = line
    } else {
        guard let first = getpass("Password: ").map({ String(cString: $0) }),
              let second = getpass("Password again: ").map({ String(cString: $0) })
        else { throw UserFileError("no password given") }
        guard first == second else { throw UserFileError("the passwords differ") }
        password = first
    }
    guard !password.isEmpty else { throw UserFileError("the password is empty") }
    // bcrypt reads at most 72 bytes and stops at a NUL: refuse what it would silently cut.
    guard !password.utf8.contains(0) else { throw UserFileError("the password contains a NUL byte") }
    guard password.utf8.count <= 72 else {
        throw UserFileError("the password is \(password.utf8.count) bytes long; bcrypt uses at most 72")
    }
    return password
}

/// Why a `pier user` command could not do its work: the file or the input, not how the
/// command was typed, so no usage text follows it and the exit status is 1.
struct UserFileError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
