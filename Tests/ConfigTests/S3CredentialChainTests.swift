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
        // An address in any of its spellings.
        #expect(try credentials(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[0:0:0:0:0:0:0:1]:51679/creds"])
            == .role(.container(url: "http://[0:0:0:0:0:0:0:1]:51679/creds", authorization: nil)))
        #expect(try credentials(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/role"])
            == .role(.container(url: "https://creds.example.com/role", authorization: nil)))
    }

    @Test func aWebIdentityAssumesItsRoleAtTheRegionsSTS() throws {
        let identity = ["AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
                        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pier", "AWS_ROLE_SESSION_NAME": "pier-0"]
        // Before the container endpoint and the instance: a pod's own role, not its node's.
        #expect(try credentials(identity.merging(["AWS_REGION": "eu-west-1", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"]) { $1 })
            == .role(.webIdentity(sts: "https://sts.eu-west-1.amazonaws.com", roleARN: "arn:aws:iam::123456789012:role/pier",
                                  sessionName: "pier-0", tokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")))
        // The storage's region when the environment names none; China's own domain.
        #expect(try credentials(identity.merging(["REGISTRY_STORAGE_S3_REGION": "cn-north-1"]) { $1 })
            == .role(.webIdentity(sts: "https://sts.cn-north-1.amazonaws.com.cn", roleARN: "arn:aws:iam::123456789012:role/pier",
                                  sessionName: "pier-0", tokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")))
        #expect(try credentials(identity.merging(["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566/"]) { $1 })
            == .role(.webIdentity(sts: "http://127.0.0.1:4566", roleARN: "arn:aws:iam::123456789012:role/pier",
                                  sessionName: "pier-0", tokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")))
        // Keys still come first.
        #expect(try credentials(identity.merging(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]) { $1 })
            == .keys(.init(accessKey: "AK", secretKey: "SK")))
    }

    @Test func aWebIdentityTokenGoesToSTSOverPlainHTTPOnlyOnThisHost() throws {
        let identity = ["AWS_WEB_IDENTITY_TOKEN_FILE": "/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/pier"]
        do {
            _ = try credentials(identity.merging(["AWS_ENDPOINT_URL_STS": "http://sts.example.com"]) { $1 })
            Issue.record("plain HTTP to another host was accepted")
        } catch {
            #expect(error.key == "AWS_ENDPOINT_URL_STS")
        }
    }

    @Test func chinasRegionsAreAddressedInTheirOwnDomain() throws {
        let config = try PierConfiguration.load(path: nil, environment: Self.bucket.merging([
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_REGION": "cn-northwest-1",
        ]) { $1 })
        #expect(config.s3?.endpoint == "https://s3.cn-northwest-1.amazonaws.com.cn")
    }

    @Test func aWebIdentityWithoutARoleStopsTheStart() throws {
        do {
            _ = try credentials(["AWS_WEB_IDENTITY_TOKEN_FILE": "/token"])
            Issue.record("a web identity without a role was accepted")
        } catch {
            #expect(error.key == "AWS_ROLE_ARN")
        }
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
