import Foundation
import S3
import Testing
@testable import Config

/// The chain's last link: without keys anywhere, the machine's role, found as AWS's SDKs
/// find it.
@Suite struct S3CredentialChainTests {
    static let bucket = ["REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images"]

    func credentials(_ environment: [String: String]) throws(ConfigurationError) -> PierConfiguration.S3Settings.Credentials? {
        try PierConfiguration.load(path: nil, environment: Self.bucket.merging(environment) { $1 }).s3?.credentials
    }

    @Test func withoutKeysTheInstanceRoleIsAskedForAtTheMetadataService() throws {
        #expect(try credentials([:]) == .role(.instanceMetadata(base: "http://169.254.169.254")))
        #expect(try credentials(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9000/"])
            == .role(.instanceMetadata(base: "http://127.0.0.1:9000")))
    }

    @Test func keysAnywhereInTheChainComeBeforeTheRole() throws {
        #expect(try credentials(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"])
            == .keys(.init(accessKey: "AK", secretKey: "SK")))
    }

    @Test func aContainerEndpointTheOrchestratorNamesComesBeforeTheInstance() throws {
        #expect(try credentials(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/1f2e"])
            == .role(.container(url: "http://169.254.170.2/v2/credentials/1f2e", authorization: nil)))
        #expect(try credentials([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored: the file wins",
        ]) == .role(.container(
            url: "http://169.254.170.23/v1/credentials",
            authorization: .tokenFile("/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token")
        )))
        #expect(try credentials(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:51679/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Basic x"])
            == .role(.container(url: "http://127.0.0.1:51679/creds", authorization: .token("Basic x"))))
        #expect(try credentials(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/role"])
            == .role(.container(url: "https://creds.example.com/role", authorization: nil)))
    }

    @Test(arguments: ["http://creds.example.com/role", "http://10.0.0.5/creds", "ftp://127.0.0.1/creds", "http://127.0.0.1.example.com/x"])
    func aContainerEndpointOverPlainHTTPElsewhereIsRefused(_ url: String) throws {
        do {
            _ = try credentials(["AWS_CONTAINER_CREDENTIALS_FULL_URI": url])
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.key == "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        }
    }

    @Test func withTheMetadataServiceDisabledNoKeysStopTheStart() throws {
        do {
            _ = try credentials(["AWS_EC2_METADATA_DISABLED": "TRUE"])
            Issue.record("no credentials were accepted")
        } catch {
            #expect(error.key == "storage.s3.accesskey")
            #expect(error.message.contains("AWS_EC2_METADATA_DISABLED"))
        }
    }
}
