import Foundation

/// One profile of AWS's shared credentials file (`~/.aws/credentials`), the second source
/// of distribution's S3 credential chain after the `AWS_*` variables: a host set up with
/// `aws configure` runs distribution without keys in its configuration, and must run Pier
/// the same way.
struct AWSSharedCredentials: Equatable {
    var accessKey: String
    var secretKey: String
    var sessionToken: String?

    /// Where the AWS SDKs look: `AWS_SHARED_CREDENTIALS_FILE`, else `$HOME/.aws/credentials`.
    static func path(environment: [String: String]) -> String? {
        if let file = environment["AWS_SHARED_CREDENTIALS_FILE"], !file.isEmpty { return file }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.aws/credentials"
    }

    /// The profile distribution's SDK chooses: `AWS_PROFILE`, else `default`.
    static func profile(environment: [String: String]) -> String {
        if let profile = environment["AWS_PROFILE"], !profile.isEmpty { return profile }
        return "default"
    }

    /// The environment's profile from the environment's file; nil when there is no file or
    /// the profile lacks a key pair (the chain goes on), never a half-read pair.
    static func load(environment: [String: String]) -> AWSSharedCredentials? {
        guard let path = path(environment: environment),
              let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return parse(String(decoding: data, as: UTF8.self), profile: profile(environment: environment))
    }

    /// The keys of `[profile]` in the file's INI text, read as the SDK's INI reader reads
    /// them: `key = value` lines, whole-line and trailing `#` or `;` comments (neither
    /// occurs in a key, a secret or a token), one pair of quotes around a value, a leading
    /// byte-order mark; key names are matched without regard to case.
    static func parse(_ text: String, profile: String) -> AWSSharedCredentials? {
        var inProfile = false
        var values = [String: String]()
        let body = text.hasPrefix("\u{FEFF}") ? Substring(text.dropFirst()) : Substring(text)
        for rawLine in body.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" && $0 != ";" }.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { inProfile = false; continue }
                inProfile = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) == profile
                continue
            }
            guard inProfile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = Substring(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            if !value.isEmpty { values[key] = String(value) }
        }
        guard let accessKey = values["aws_access_key_id"], let secretKey = values["aws_secret_access_key"] else { return nil }
        return AWSSharedCredentials(accessKey: accessKey, secretKey: secretKey, sessionToken: values["aws_session_token"])
    }
}
