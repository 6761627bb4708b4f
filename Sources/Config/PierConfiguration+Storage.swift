import Foundation

extension PierConfiguration {
    /// `storage.s3`: distribution's S3 driver options, read the way distribution reads them.
    public struct S3Settings: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String
        /// `AWS_SESSION_TOKEN`, for temporary credentials.
        public var sessionToken: String?
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
    /// A bare value is a driver's name whatever it names, so a misspelt or unknown one is
    /// refused by name rather than leaving the default in place.
    static func storageDrivers(_ read: ConfigurationTree) -> [String] {
        let known = ["filesystem", "s3", "s3aws", "inmemory", "gcs", "azure", "swift", "oss"]
        if let name = read.rawValue("storage") as? String {
            return name.isEmpty ? [] : [name.lowercased()]
        }
        return known.filter { read.hasKey("storage." + $0) }
    }

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
        // never joins another source's keys.
        let chosen: AWSSharedCredentials?
        if let key = try text("accesskey"), let secret = try text("secretkey") {
            chosen = AWSSharedCredentials(accessKey: key, secretKey: secret, sessionToken: try text("sessiontoken"))
        } else if let key = variable("AWS_ACCESS_KEY_ID"), let secret = variable("AWS_SECRET_ACCESS_KEY") {
            chosen = AWSSharedCredentials(accessKey: key, secretKey: secret, sessionToken: variable("AWS_SESSION_TOKEN"))
        } else {
            chosen = AWSSharedCredentials.load(environment: environment)
        }
        guard let chosen else {
            throw ConfigurationError(
                key: "storage.s3.accesskey",
                message: "credentials are required: accesskey and secretkey, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                    + "or the profile '\(AWSSharedCredentials.profile(environment: environment))' in "
                    + (AWSSharedCredentials.path(environment: environment) ?? "~/.aws/credentials")
            )
        }
        let secure = try read.bool("storage.s3.secure") ?? true
        let regionEndpoint = try text("regionendpoint")
        var endpoint = regionEndpoint ?? "s3.\(region).amazonaws.com"
        if !endpoint.contains("://") { endpoint = (secure ? "https://" : "http://") + endpoint }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        guard let url = URL(string: endpoint), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil,
              url.path.isEmpty
        else {
            throw ConfigurationError(key: "storage.s3.regionendpoint", message: "'\(endpoint)' is not an http(s)://host[:port] URL")
        }
        func size(_ key: String, _ fallback: Int, minimum: Int) throws(ConfigurationError) -> Int {
            guard let value = try read.int("storage.s3." + key) else { return fallback }
            guard value >= minimum else {
                throw ConfigurationError(key: "storage.s3." + key, message: "\(value) is below the minimum of \(minimum)")
            }
            return value
        }
        return S3Settings(
            accessKey: chosen.accessKey,
            secretKey: chosen.secretKey,
            sessionToken: chosen.sessionToken,
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
            chunkSize: try size("chunksize", 10 << 20, minimum: 5 << 20),
            multipartCopyChunkSize: Int64(try size("multipartcopychunksize", 32 << 20, minimum: 5 << 20)),
            multipartCopyMaxConcurrency: try size("multipartcopymaxconcurrency", 100, minimum: 1),
            multipartCopyThresholdSize: Int64(try size("multipartcopythresholdsize", 32 << 20, minimum: 0))
        )
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
