import Foundation
import Testing
@testable import Config

@Suite struct AWSSharedCredentialsTests {
    static let file = """
        # written by aws configure
        [default]
        aws_access_key_id = DEFAULTKEY
        aws_secret_access_key = DEFAULTSECRET

        ; a second profile, with temporary credentials
        [ ci ]
        AWS_Access_Key_ID=CIKEY
        aws_secret_access_key =  CI/SECRET+with=equals
        aws_session_token = CITOKEN
        [half]
        aws_access_key_id = ONLYKEY
        """

    /// A HOME holding `.aws/credentials` with ``file``.
    func home() throws -> String {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pier-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try Self.file.write(toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8)
        return home
    }

    @Test func aProfileIsReadWithCommentsSpacesAndKeyCaseAsTheSDKsReadThem() {
        #expect(AWSSharedCredentials.parse(Self.file, profile: "default") == .init(accessKey: "DEFAULTKEY", secretKey: "DEFAULTSECRET"))
        #expect(AWSSharedCredentials.parse(Self.file, profile: "ci") == .init(accessKey: "CIKEY", secretKey: "CI/SECRET+with=equals", sessionToken: "CITOKEN"))
    }

    @Test func aProfileWithoutAKeyPairOrAbsentGivesNothing() {
        #expect(AWSSharedCredentials.parse(Self.file, profile: "half") == nil)
        #expect(AWSSharedCredentials.parse(Self.file, profile: "nope") == nil)
        #expect(AWSSharedCredentials.parse("", profile: "default") == nil)
    }

    @Test func s3WithoutKeysReadsTheDefaultProfileFromHome() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let s3 = try #require(try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images", "HOME": home,
        ]).s3)
        #expect(s3.accessKey == "DEFAULTKEY" && s3.secretKey == "DEFAULTSECRET" && s3.sessionToken == nil)
    }

    @Test func s3ReadsTheProfileAndFileTheEnvironmentNames() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let s3 = try #require(try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images",
            "AWS_SHARED_CREDENTIALS_FILE": home + "/.aws/credentials", "AWS_PROFILE": "ci",
            // A token of the environment never goes with the file's keys.
            "AWS_SESSION_TOKEN": "ENVTOKEN",
        ]).s3)
        #expect(s3.accessKey == "CIKEY" && s3.secretKey == "CI/SECRET+with=equals" && s3.sessionToken == "CITOKEN")
    }

    @Test func keysOfTheConfigurationOrEnvironmentComeBeforeTheFile() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let fromEnvironment = try #require(try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images", "HOME": home,
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
        ]).s3)
        #expect(fromEnvironment.accessKey == "AK" && fromEnvironment.secretKey == "SK")
        let fromConfiguration = try #require(try PierConfiguration.loading("""
            version: 0.1
            storage:
              s3: {bucket: images, accesskey: CK, secretkey: CS}
            """, environment: ["HOME": home]).s3)
        #expect(fromConfiguration.accessKey == "CK" && fromConfiguration.secretKey == "CS")
    }

    @Test func aMissingProfileStopsTheStartNamingProfileAndFile() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        do {
            _ = try PierConfiguration.load(path: nil, environment: [
                "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images", "HOME": home, "AWS_PROFILE": "half",
            ])
            Issue.record("a profile without a secret was accepted")
        } catch {
            #expect(error.key == "storage.s3.accesskey")
            #expect(error.message.contains("'half'") && error.message.contains(home + "/.aws/credentials"))
        }
    }
}
