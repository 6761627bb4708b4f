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
    /// distribution; `filesystem` is the default when none is.
    mutating func applyStorage(_ read: ConfigurationTree, environment: [String: String]) throws(ConfigurationError) {
        let drivers = ["filesystem", "s3", "inmemory", "gcs", "azure", "swift", "oss"].filter { read.has("storage." + $0) }
        if drivers.count > 1 {
            throw ConfigurationError(key: "storage", message: "exactly one storage driver may be configured, found \(drivers.joined(separator: ", "))")
        }
        if let disabled = try read.bool("storage.redirect.disable") { redirectDisabled = disabled }
        guard read.has("storage.s3") else { return }
        s3 = try Self.s3Settings(read, environment: environment)
    }

    private static func s3Settings(_ read: ConfigurationTree, environment: [String: String]) throws(ConfigurationError) -> S3Settings {
        func text(_ key: String) throws(ConfigurationError) -> String? {
            try read.string("storage.s3." + key).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let bucket = try text("bucket") else {
            throw ConfigurationError(key: "storage.s3.bucket", message: "a bucket is required")
        }
        let region = try text("region") ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let accessKey = try text("accesskey") ?? environment["AWS_ACCESS_KEY_ID"]
        let secretKey = try text("secretkey") ?? environment["AWS_SECRET_ACCESS_KEY"]
        guard let accessKey, let secretKey else {
            throw ConfigurationError(
                key: "storage.s3.accesskey",
                message: "credentials are required: accesskey and secretkey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
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
            accessKey: accessKey,
            secretKey: secretKey,
            sessionToken: try text("sessiontoken") ?? environment["AWS_SESSION_TOKEN"],
            region: region,
            endpoint: endpoint,
            // distribution 2.8 addresses a custom endpoint by path and AWS by host.
            pathStyle: try read.bool("storage.s3.forcepathstyle") ?? (regionEndpoint != nil),
            bucket: bucket,
            rootDirectory: try text("rootdirectory") ?? "",
            skipVerify: try read.bool("storage.s3.skipverify") ?? false,
            chunkSize: try size("chunksize", 10 << 20, minimum: 5 << 20),
            multipartCopyChunkSize: Int64(try size("multipartcopychunksize", 32 << 20, minimum: 5 << 20)),
            multipartCopyMaxConcurrency: try size("multipartcopymaxconcurrency", 100, minimum: 1),
            multipartCopyThresholdSize: Int64(try size("multipartcopythresholdsize", 32 << 20, minimum: 0))
        )
    }
}
