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

    /// The profile the SDKs choose: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    static func profile(environment: [String: String]) -> String {
        for key in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
            if let profile = environment[key], !profile.isEmpty { return profile }
        }
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

    /// The keys of `[profile]` in the file's INI text: `key = value` lines, `#` and `;`
    /// comments, section names trimmed, key names case-insensitive as the SDKs read them.
    static func parse(_ text: String, profile: String) -> AWSSharedCredentials? {
        var inProfile = false
        var values = [String: String]()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { inProfile = false; continue }
                inProfile = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) == profile
                continue
            }
            guard inProfile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { values[key] = value }
        }
        guard let accessKey = values["aws_access_key_id"], let secretKey = values["aws_secret_access_key"] else { return nil }
        return AWSSharedCredentials(accessKey: accessKey, secretKey: secretKey, sessionToken: values["aws_session_token"])
    }
}
