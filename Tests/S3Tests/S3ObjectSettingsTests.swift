import Testing
@testable import S3

@Suite struct S3ObjectSettingsTests {
    @Test func encryptionClassAndACLBecomeTheHeadersS3Reads() {
        #expect(S3ObjectSettings().headers.isEmpty)
        #expect(S3ObjectSettings(encryption: .storeManaged).headers.map { "\($0.0): \($0.1)" } == ["x-amz-server-side-encryption: AES256"])
        let all = S3ObjectSettings(encryption: .kms(keyID: "alias/registry"), storageClass: "STANDARD_IA", cannedACL: "bucket-owner-full-control")
        #expect(all.headers.map { "\($0.0): \($0.1)" } == [
            "x-amz-server-side-encryption: aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id: alias/registry",
            "x-amz-storage-class: STANDARD_IA",
            "x-amz-acl: bucket-owner-full-control",
        ])
    }

    @Test func theStoresDefaultsAreNeverSent() {
        // A bucket with ACLs disabled refuses ACL headers; a store without classes, a class.
        #expect(S3ObjectSettings(storageClass: "STANDARD", cannedACL: "private").headers.isEmpty)
        #expect(S3ObjectSettings(storageClass: "NONE").headers.isEmpty)
    }

    @Test func theHeadersAreSignedWithTheRequest() async throws {
        let client = S3Client(
            endpoint: .init(scheme: "http", authority: "127.0.0.1:8333", bucket: "images", pathStyle: true),
            credentials: SignatureV4.Credentials(accessKey: "AK", secretKey: "SK"),
            region: "us-east-1"
        )
        let settings = S3ObjectSettings(encryption: .kms(keyID: "k"), storageClass: "GLACIER_IR", cannedACL: "public-read")
        let head = client.signedHead(.PUT, key: "k", query: [], headers: settings.headers, hasBody: true, signer: try await client.signer())
        await client.shutdown()
        let authorization = try #require(head.headers.first { $0.0 == "authorization" }?.1)
        let list = try #require(authorization.split(separator: ",").first { $0.contains("SignedHeaders=") })
        let signed = Set(list.split(separator: "=")[1].split(separator: ";").map(String.init))
        for name in ["x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class"] {
            #expect(signed.contains(name))
            #expect(head.headers.contains { $0.0 == name })
        }
    }
}
