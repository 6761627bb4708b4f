import Foundation
import S3
import Storage

extension PierServer {
    /// Where content lives, for the start-up log line.
    var storageDescription: String {
        guard let s3 = configuration.s3 else { return storageRoot }
        return "s3://\(s3.bucket)/\(s3.rootDirectory) at \(s3.endpoint)"
    }

    /// The storage driver the configuration names: a bucket for `storage.s3`, otherwise
    /// the filesystem under ``storageRoot``.
    func makeDriver() throws -> any StorageDriver {
        guard let s3 = configuration.s3 else { return FileSystemDriver(root: storageRoot) }
        guard let url = URL(string: s3.endpoint), let scheme = url.scheme, let host = url.host else {
            throw ConfigurationError(key: "storage.s3.regionendpoint", message: "'\(s3.endpoint)' is not a URL")
        }
        // A default port is left out: HTTP clients send `Host` without it, and the
        // signature covers `Host`.
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = url.port.flatMap { $0 == defaultPort ? nil : "\(host):\($0)" } ?? host
        let client = S3Client(
            endpoint: .init(scheme: scheme, authority: authority, bucket: s3.bucket, pathStyle: s3.pathStyle),
            signer: SignatureV4(
                credentials: .init(accessKey: s3.accessKey, secretKey: s3.secretKey, sessionToken: s3.sessionToken),
                region: s3.region
            ),
            skipVerify: s3.skipVerify
        )
        return S3Driver(
            client: client,
            rootDirectory: s3.rootDirectory,
            options: .init(
                chunkSize: s3.chunkSize,
                multipartCopyThreshold: s3.multipartCopyThresholdSize,
                multipartCopyChunkSize: s3.multipartCopyChunkSize,
                multipartCopyMaxConcurrency: s3.multipartCopyMaxConcurrency,
                redirect: !configuration.redirectDisabled
            )
        )
    }
}
