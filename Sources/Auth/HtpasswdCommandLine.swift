/// Apache's `htpasswd` command line, read as that tool reads it.
///
/// Every guide to `registry:2` makes its password file with `docker run --entrypoint
/// htpasswd registry:2.3.0 -Bbn user password > auth/htpasswd` (or an `httpd` image), and
/// scripts call `htpasswd -cB file user` or `htpasswd -D file user`. Pier's image has no
/// shell and no Apache tools, so the `pier` binary answers to that name (and to `pier
/// htpasswd`) with the same flags, operands, messages and exit codes. It always writes
/// bcrypt: the other algorithms are weak and a request for one is named and ignored.
public struct HtpasswdCommandLine: Sendable, Equatable {
    /// What the command does; `htpasswd` allows one of `-c`, `-n`, `-v`, `-D`.
    public enum Operation: Sendable, Equatable {
        /// `-n`: print `user:hash` instead of touching a file.
        case print
        /// Add or update the user in an existing file; `-c` creates (and empties) it first.
        case update(create: Bool)
        /// `-D`: remove the user.
        case delete
        /// `-v`: check the password against the file.
        case verify
    }

    /// Why a command line cannot run, with the exit code `htpasswd` gives for it.
    public struct Failure: Error, Equatable {
        /// What `htpasswd` prints on standard error; empty for a bare syntax problem.
        public let message: String
        /// The exit code Apache's gives for the same problem, which scripts test.
        public let exitCode: Int32

        /// A failure with Apache's message and exit code.
        public init(message: String, exitCode: Int32) {
            self.message = message
            self.exitCode = exitCode
        }

        /// 2: a syntax problem, answered with the usage text.
        public static func usage(_ message: String = "") -> Failure { Failure(message: message, exitCode: 2) }
    }

    /// What the command line asks for.
    public var operation: Operation
    /// The password file; nil with `-n`.
    public var file: String?
    /// The user to add, change, delete, verify or print.
    public var user: String
    /// The password given on the command line (`-b`).
    public var password: String?
    /// `-i`: one line of standard input is the password, read without prompting twice.
    public var passwordFromStdin = false
    /// bcrypt's cost (`-C`). Apache's default is 5; Pier's is 10, what `pier user` and the
    /// index write: a stolen file of cost 5 gives its passwords up 32 times faster.
    public var cost = 10
    /// The flags that asked for another algorithm than bcrypt (`-m`, `-2`, `-5`, `-d`, `-s`,
    /// `-p`), so the command can say it ignored them.
    public var ignoredAlgorithms: [Character] = []

    /// The usage text `htpasswd` prints on a syntax problem, with Pier's one difference.
    public static let usage = """
        Usage:
        \thtpasswd [-cimB25dpsDv] [-C cost] [-r rounds] passwordfile username
        \thtpasswd -b[cmB25dpsDv] [-C cost] [-r rounds] passwordfile username password

        \thtpasswd -n[imB25dps] [-C cost] [-r rounds] username
        \thtpasswd -nb[mB25dps] [-C cost] [-r rounds] username password
         -c  Create a new file.
         -n  Don't update file; display results on stdout.
         -b  Use the password from the command line rather than prompting for it.
         -i  Read password from stdin without verification (for script usage).
         -B  Force bcrypt hashing of the password (very secure).
         -C  Set the computing time used for the bcrypt algorithm
             (higher is more secure but slower, default: 10, valid: 4 to 17).
         -D  Delete the specified user.
         -v  Verify password for the specified user.
        Passwords are always hashed with bcrypt: -m, -2, -5, -d, -s, -p are accepted and ignored.
        """

    /// Reads the arguments after the program name as Apache's `htpasswd` does: flags come
    /// first, in groups (`-Bbn`), `-C` and `-r` take the next argument, and the operands'
    /// number depends on `-n` and `-b`.
    public init(parsing arguments: [String]) throws(Failure) {
        var flags = Set<Character>()
        var cost: Int?
        var index = arguments.startIndex
        while index < arguments.endIndex, arguments[index].hasPrefix("-"), arguments[index].count > 1 {
            let group = arguments[index].dropFirst()
            index += 1
            // `--` ends the flags, so a file or user may begin with a dash.
            if group == "-" { break }
            var letters = group[...]
            while let flag = letters.popFirst() {
                switch flag {
                case "c", "n", "b", "i", "B", "D", "v", "m", "2", "5", "d", "s", "p":
                    flags.insert(flag)
                case "C", "r":
                    // The value is the rest of the group (`-C12`) or the next argument.
                    // Apache reads both flags into one variable: `-r 7` with `-B` is cost 7.
                    let value: Substring
                    if !letters.isEmpty {
                        value = letters
                        letters = ""
                    } else {
                        guard index < arguments.endIndex else { throw .usage() }
                        value = Substring(arguments[index])
                        index += 1
                    }
                    guard let number = Int(value), number > 0 else { throw .usage("htpasswd: argument to -\(flag) must be a positive integer") }
                    cost = number
                default:
                    throw .usage()
                }
            }
        }
        let operations = flags.intersection(["c", "n", "v", "D"])
        guard operations.count <= 1 else { throw .usage("htpasswd: only one of -c -n -v -D may be specified") }
        guard !(flags.contains("b") && flags.contains("i")) else { throw .usage("htpasswd: -i and -b may not be combined") }
        if flags.contains("n") {
            operation = .print
        } else if flags.contains("v") {
            operation = .verify
        } else if flags.contains("D") {
            operation = .delete
        } else {
            operation = .update(create: flags.contains("c"))
        }
        let operands = Array(arguments[index...])
        // `-D` with `-b` still takes (and ignores) a password, as Apache's does.
        let passwordOperand = flags.contains("b")
        let expected = (operation == .print ? 1 : 2) + (passwordOperand ? 1 : 0)
        guard operands.count == expected else { throw .usage() }
        var rest = operands[...]
        file = operation == .print ? nil : rest.removeFirst()
        user = rest.removeFirst()
        password = passwordOperand ? rest.removeFirst() : nil
        passwordFromStdin = flags.contains("i")
        if let cost {
            guard (4...17).contains(cost) else { throw Failure(message: "htpasswd: Unable to encode with bcrypt: Invalid argument", exitCode: 3) }
            self.cost = cost
        }
        ignoredAlgorithms = "m25dsp".filter { flags.contains($0) }.map { $0 }
        guard !user.unicodeScalars.contains(":") else { throw Failure(message: "htpasswd: username contains illegal character ':'", exitCode: 6) }
        guard user.utf8.count <= 255 else { throw Failure(message: "htpasswd: username must be no longer than 255 characters", exitCode: 5) }
        // Apache takes any name without a colon; a line break would split the entry, and an
        // empty name, spaces around it or a leading `#` (a comment to every reader) would
        // not read back as written.
        let scalars = user.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, !first.properties.isWhitespace, !last.properties.isWhitespace,
              first != "#", !user.contains(where: \.isNewline)
        else {
            throw Failure(message: "htpasswd: username must be non-empty, without line breaks, spaces around it or a leading #", exitCode: 6)
        }
    }
}
