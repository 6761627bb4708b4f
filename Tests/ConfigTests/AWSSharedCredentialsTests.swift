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

    @Test func trailingCommentsQuotesAndAByteOrderMarkAreReadAsTheSDKsINIReaderReadsThem() {
        let text = "\u{FEFF}[default] # the main account\r\naws_access_key_id = \"QUOTED\"\r\n"
            + "aws_secret_access_key = S3CR3T ; rotated monthly\r\naws_session_token = TOKEN # temporary\r\n"
        #expect(AWSSharedCredentials.parse(text, profile: "default") == .init(accessKey: "QUOTED", secretKey: "S3CR3T", sessionToken: "TOKEN"))
    }

    @Test func onlyAWSProfileChoosesTheProfileAsDistributionsSDKDoes() {
        #expect(AWSSharedCredentials.profile(environment: ["AWS_DEFAULT_PROFILE": "ci"]) == "default")
        #expect(AWSSharedCredentials.profile(environment: ["AWS_PROFILE": "ci", "AWS_DEFAULT_PROFILE": "x"]) == "ci")
        #expect(AWSSharedCredentials.profile(environment: ["AWS_PROFILE": ""]) == "default")
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
        #expect(s3.credentials == .keys(.init(accessKey: "DEFAULTKEY", secretKey: "DEFAULTSECRET")))
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
        #expect(s3.credentials == .keys(.init(accessKey: "CIKEY", secretKey: "CI/SECRET+with=equals", sessionToken: "CITOKEN")))
    }

    @Test func keysOfTheConfigurationOrEnvironmentComeBeforeTheFile() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let fromEnvironment = try #require(try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images", "HOME": home,
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
        ]).s3)
        #expect(fromEnvironment.credentials == .keys(.init(accessKey: "AK", secretKey: "SK")))
        let fromConfiguration = try #require(try PierConfiguration.loading("""
            version: 0.1
            storage:
              s3: {bucket: images, accesskey: CK, secretkey: CS}
            """, environment: ["HOME": home]).s3)
        #expect(fromConfiguration.credentials == .keys(.init(accessKey: "CK", secretKey: "CS")))
    }

    @Test func aKeyPairComesWholeFromOneSourceWithOnlyThatSourcesToken() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(atPath: home) }
        // The configuration's pair with the environment's token: the token is not theirs.
        let configured = try #require(try PierConfiguration.loading("""
            version: 0.1
            storage:
              s3: {bucket: images, accesskey: CK, secretkey: CS}
            """, environment: ["HOME": home, "AWS_SESSION_TOKEN": "ENVTOKEN"]).s3)
        #expect(configured.credentials == .keys(.init(accessKey: "CK", secretKey: "CS")))
        // Half a pair in the configuration and half in the environment: neither is a
        // source, so the file's profile is.
        let halves = try #require(try PierConfiguration.loading("""
            version: 0.1
            storage:
              s3: {bucket: images, accesskey: CK}
            """, environment: ["HOME": home, "AWS_SECRET_ACCESS_KEY": "SK"]).s3)
        #expect(halves.credentials == .keys(.init(accessKey: "DEFAULTKEY", secretKey: "DEFAULTSECRET")))
        // Empty variables are unset ones, the region's too.
        let empty = try #require(try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "images", "HOME": home,
            "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "",
        ]).s3)
        #expect(empty.credentials == .keys(.init(accessKey: "DEFAULTKEY", secretKey: "DEFAULTSECRET")) && empty.region == "us-east-1")
        #expect(empty.endpoint == "https://s3.us-east-1.amazonaws.com")
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
