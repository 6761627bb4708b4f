import Net
import Auth
import Foundation
public import S3

extension PierConfiguration {
    /// `storage.s3`: distribution's S3 driver options, read the way distribution reads them.
    public struct S3Settings: Sendable, Equatable {
        /// Where the keys come from, chosen as distribution's chain chooses.
        public enum Credentials: Sendable, Equatable {
            /// A pair (with its session token) from the configuration, the environment or
            /// the shared credentials file, used as given for as long as Pier runs.
            case keys(SignatureV4.Credentials)
            /// A role's temporary keys, asked for at start and renewed before they expire.
            case role(CredentialEndpoint)
        }

        /// Decided once at start: the chain is read from the configuration and the
        /// environment, which do not change while Pier runs; a role's keys do, and are
        /// renewed by the driver.
        public var credentials: Credentials
        public var region: String
        /// `scheme://host:port` of the store.
        public var endpoint: String
        public var pathStyle: Bool
        public var bucket: String
        public var rootDirectory: String
        public var skipVerify: Bool
        public var chunkSize: Int
        public var multipartCopyChunkSize: Int64
        public var multipartCopyMaxConcurrency: Int
        public var multipartCopyThresholdSize: Int64
        /// `encrypt`, `keyid`, `storageclass` and `objectacl`: how objects are written.
        public var objects: S3ObjectSettings
    }

    /// Reads the storage driver section. Exactly one driver may be configured, as in
    /// distribution; `filesystem` is the default when none is. A driver Pier does not have
    /// stops the start: running on `./data` instead of the configured store would accept
    /// pushes nobody could find there.
    mutating func applyStorage(_ read: ConfigurationTree, environment: [String: String]) throws(ConfigurationError) {
        let drivers = Self.storageDrivers(read)
        if drivers.count > 1 {
            throw ConfigurationError(key: "storage", message: "exactly one storage driver may be configured, found \(drivers.joined(separator: ", "))")
        }
        if let driver = drivers.first, driver != "filesystem", driver != "s3" {
            throw ConfigurationError(
                key: "storage.\(driver)",
                message: driver == "s3aws"
                    ? "pier reads distribution's s3aws driver as storage.s3: name the section s3"
                    : "pier has no \(driver) driver: use storage.filesystem, or storage.s3 for any S3-compatible store"
            )
        }
        if let disabled = try read.bool("storage.redirect.disable") { redirectDisabled = disabled }
        guard drivers.first == "s3" else { return }
        s3 = try Self.s3Settings(read, environment: environment)
    }

    /// distribution's storage drivers that `storage` names, however it names them: a key with
    /// settings, a key with none (`inmemory:`), or the section's bare value
    /// (`REGISTRY_STORAGE=s3`, which distribution reads as the driver's name).
    /// As in distribution, every key of the section but its parameters names a driver, and
    /// so does a bare value: a misspelt or unknown one (`filesytem:`) is refused by name
    /// rather than leaving the default (`./data`) in place.
    static func storageDrivers(_ read: ConfigurationTree) -> [String] {
        switch read.rawValue("storage") {
        case let name as String:
            return name.isEmpty ? [] : [name.lowercased()]
        case let section as [String: Any]:
            return Set(section.keys.map { $0.lowercased() }).subtracting(storageParameters).sorted()
        default:
            return []
        }
    }

    /// The keys of `storage` that are no driver (distribution's `Storage` type).
    static let storageParameters: Set<String> = ["maintenance", "cache", "delete", "redirect", "tag"]

    private static func s3Settings(_ read: ConfigurationTree, environment: [String: String]) throws(ConfigurationError) -> S3Settings {
        func text(_ key: String) throws(ConfigurationError) -> String? {
            try read.string("storage.s3." + key).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let bucket = try text("bucket") else {
            throw ConfigurationError(key: "storage.s3.bucket", message: "a bucket is required")
        }
        // An empty variable (`AWS_REGION=` in a compose file) is an unset one.
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let region = try text("region") ?? variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") ?? "us-east-1"
        // distribution's chain: the first source that holds a whole key pair gives it, with
        // that source's own token: the configuration, the AWS_* variables, then the shared
        // credentials file's profile. A pair is never made of two sources, and a token
        // never joins another source's keys. Without a pair, the machine's role.
        let credentials: S3Settings.Credentials
        if let key = try text("accesskey"), let secret = try text("secretkey") {
            credentials = .keys(.init(accessKey: key, secretKey: secret, sessionToken: try text("sessiontoken")))
        } else if let key = variable("AWS_ACCESS_KEY_ID"), let secret = variable("AWS_SECRET_ACCESS_KEY") {
            credentials = .keys(.init(accessKey: key, secretKey: secret, sessionToken: variable("AWS_SESSION_TOKEN")))
        } else if let file = AWSSharedCredentials.load(environment: environment) {
            credentials = .keys(.init(accessKey: file.accessKey, secretKey: file.secretKey, sessionToken: file.sessionToken))
        } else if let profile = variable("AWS_PROFILE") {
            // A profile named on purpose that gives no keys is a mistake to report, not a
            // reason to run as the machine's role instead (the SDKs read only that profile).
            throw ConfigurationError(
                key: "storage.s3.accesskey",
                message: "AWS_PROFILE names the profile '\(profile)', which has no aws_access_key_id and aws_secret_access_key in "
                    + (AWSSharedCredentials.path(environment: environment) ?? "~/.aws/credentials")
            )
        } else if let role = try Self.roleEndpoint(environment: environment, region: region) {
            credentials = .role(role)
        } else {
            throw ConfigurationError(
                key: "storage.s3.accesskey",
                message: "credentials are required: accesskey and secretkey, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                    + "the profile '\(AWSSharedCredentials.profile(environment: environment))' in "
                    + (AWSSharedCredentials.path(environment: environment) ?? "~/.aws/credentials")
                    + ", or a role (AWS_EC2_METADATA_DISABLED is set)"
            )
        }
        let secure = try read.bool("storage.s3.secure") ?? true
        let regionEndpoint = try text("regionendpoint")
        var endpoint = regionEndpoint ?? "s3.\(region).\(Self.awsDomain(region))"
        if !endpoint.contains("://") { endpoint = (secure ? "https://" : "http://") + endpoint }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        guard let url = URL(string: endpoint), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil,
              url.path.isEmpty
        else {
            throw ConfigurationError(key: "storage.s3.regionendpoint", message: "'\(endpoint)' is not an http(s)://host[:port] URL")
        }
        /// A size within distribution's bounds, which refuses values outside them as this does.
        /// - Parameter maximum: S3's largest part, single PUT and CopyObject (5 GiB) for the
        ///   sizes of parts and copies: past it every large push or copy would be refused by
        ///   the store, and an upload holds up to two chunks in memory.
        func size(_ key: String, _ fallback: Int, minimum: Int, maximum: Int = .max) throws(ConfigurationError) -> Int {
            guard let value = try read.int("storage.s3." + key) else { return fallback }
            guard value >= minimum, value <= maximum else {
                throw ConfigurationError(
                    key: "storage.s3." + key,
                    message: maximum == .max
                        ? "\(value) is below the minimum of \(minimum)"
                        : "\(value) is out of range: it should be a number between \(minimum) and \(maximum) (inclusive), as in distribution"
                )
            }
            return value
        }
        let largestPart = 5 << 30
        return S3Settings(
            credentials: credentials,
            region: region,
            endpoint: endpoint,
            // distribution 2.8 addresses a custom endpoint by path and AWS by host, except a
            // bucket whose name is no single DNS label (a dot breaks AWS's wildcard
            // certificate, an upper-case letter or `_` the host name): by path, as its AWS
            // SDK falls back.
            pathStyle: try read.bool("storage.s3.forcepathstyle") ?? (regionEndpoint != nil || !Self.isHostLabel(bucket)),
            bucket: bucket,
            rootDirectory: try text("rootdirectory") ?? "",
            skipVerify: try read.bool("storage.s3.skipverify") ?? false,
            chunkSize: try size("chunksize", 10 << 20, minimum: 5 << 20, maximum: largestPart),
            multipartCopyChunkSize: Int64(try size("multipartcopychunksize", 32 << 20, minimum: 5 << 20, maximum: largestPart)),
            multipartCopyMaxConcurrency: try size("multipartcopymaxconcurrency", 100, minimum: 1),
            multipartCopyThresholdSize: Int64(try size("multipartcopythresholdsize", 32 << 20, minimum: 0, maximum: largestPart)),
            objects: try objectSettings(read)
        )
    }

    /// distribution's `encrypt` (SSE-S3, or SSE-KMS with `keyid`), `storageclass` and
    /// `objectacl`, checked against the values distribution 3 accepts so that a misspelt one
    /// stops the start instead of failing every push. A `keyid` without `encrypt: true` is
    /// documented by distribution as ignored (2.8 sends the key alone, which AWS refuses);
    /// Pier ignores it and names it among the ignored settings.
    private static func objectSettings(_ read: ConfigurationTree) throws(ConfigurationError) -> S3ObjectSettings {
        var encryption: S3ObjectSettings.Encryption?
        if try read.bool("storage.s3.encrypt") == true {
            let keyID = try read.string("storage.s3.keyid")?.trimmingCharacters(in: .whitespaces) ?? ""
            // The key goes into a request header: a line break in it would end the header.
            guard !keyID.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ConfigurationError(key: "storage.s3.keyid", message: "the key id holds a control character")
            }
            encryption = keyID.isEmpty ? .storeManaged : .kms(keyID: keyID)
        }
        func choice(_ key: String, _ allowed: [String], _ spelling: (String) -> String) throws(ConfigurationError) -> String? {
            guard let given = try read.string("storage.s3." + key), !given.isEmpty else { return nil }
            let value = spelling(given)
            guard allowed.contains(value) else {
                throw ConfigurationError(
                    key: "storage.s3." + key, message: "'\(given)' is none of \(allowed.joined(separator: ", "))"
                )
            }
            return value
        }
        // Both spelt as distribution reads them: classes in any case, ACLs as written.
        return S3ObjectSettings(
            encryption: encryption,
            storageClass: try choice("storageclass", S3ObjectSettings.storageClasses) { $0.uppercased() },
            cannedACL: try choice("objectacl", S3ObjectSettings.cannedACLs) { $0 }
        )
    }

    /// The machine's role, the chain's last link, as AWS's SDKs find it: a web identity
    /// (EKS's IAM roles for service accounts), an ECS task role or a container endpoint (EKS
    /// Pod Identity) where the platform names one, else EC2's instance metadata service
    /// unless `AWS_EC2_METADATA_DISABLED` is `true`.
    /// - Parameter region: the storage's, for STS when the environment names none.
    static func roleEndpoint(environment: [String: String], region: String) throws(ConfigurationError) -> CredentialEndpoint? {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let tokenFile = variable("AWS_WEB_IDENTITY_TOKEN_FILE") {
            guard let role = variable("AWS_ROLE_ARN") else {
                throw ConfigurationError(key: "AWS_ROLE_ARN", message: "AWS_WEB_IDENTITY_TOKEN_FILE is set, but not the role to assume with it")
            }
            let named = variable("AWS_ENDPOINT_URL_STS")
            // The regional endpoint, as EKS sets AWS_STS_REGIONAL_ENDPOINTS: closer, and up
            // when another region's STS is not.
            let stsRegion = variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") ?? region
            var sts = named ?? "https://sts.\(stsRegion).\(Self.awsDomain(stsRegion))"
            while sts.hasSuffix("/") { sts.removeLast() }
            // The token is as good as the role's keys: over plain HTTP only to this host
            // (or the platform's own credential addresses).
            guard let url = URL(string: sts), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
                  scheme == "https" || (scheme == "http" && Self.isCredentialHost(host))
            else {
                throw ConfigurationError(
                    key: named == nil ? "storage.s3.region" : "AWS_ENDPOINT_URL_STS",
                    message: "'\(sts)' is neither an https URL nor http to this host"
                )
            }
            let session = variable("AWS_ROLE_SESSION_NAME") ?? "pier-\(Int(Date().timeIntervalSince1970))"
            return .webIdentity(sts: sts, roleARN: role, sessionName: session, tokenFile: tokenFile)
        }
        let authorization: CredentialEndpoint.ContainerAuthorization? =
            variable("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").map { .tokenFile($0) }
            ?? variable("AWS_CONTAINER_AUTHORIZATION_TOKEN").map { .token($0) }
        if let relative = variable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return .container(url: "http://169.254.170.2" + (relative.hasPrefix("/") ? "" : "/") + relative, authorization: authorization)
        }
        if let full = variable("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            // Keys are only asked for over TLS or from an address on this host or the
            // platform's own: plain HTTP elsewhere could hand them to anyone on the path.
            guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
                  scheme == "https" || (scheme == "http" && Self.isCredentialHost(host))
            else {
                throw ConfigurationError(
                    key: "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    message: "'\(full)' is neither https nor http to this host (127.0.0.0/8, ::1, localhost) or to ECS's or EKS's credential address"
                )
            }
            return .container(url: full, authorization: authorization)
        }
        if variable("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" { return nil }
        var base = variable("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw ConfigurationError(key: "AWS_EC2_METADATA_SERVICE_ENDPOINT", message: "'\(base)' is not an http(s)://host[:port] URL")
        }
        return .instanceMetadata(base: base)
    }

    /// The domain of AWS's endpoints in `region`'s partition: China's regions have their own.
    static func awsDomain(_ region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }

    /// This host's loopback and ECS's and EKS's credential addresses.
    static let credentialAddresses = (try? AddressRanges(parsing: ["127.0.0.0/8", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"])) ?? .empty

    /// Hosts a credential endpoint may be reached on over plain HTTP, as the SDKs allow them:
    /// compared as addresses, so every spelling of one (`[0:0:0:0:0:0:0:1]`) is the same.
    static func isCredentialHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" { return true }
        guard let bytes = AddressRanges.addressBytes(bare) else { return false }
        return credentialAddresses.contains(bytes: bytes)
    }

    /// Whether `bucket` can lead a virtual-hosted name (`bucket.s3.region.amazonaws.com`)
    /// that AWS's wildcard certificate covers: lower-case letters, digits and `-`, 3 to 63 of
    /// them, starting and ending with a letter or digit.
    static func isHostLabel(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
              first != UInt8(ascii: "-"), last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
