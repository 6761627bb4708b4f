import Foundation
import Testing
@testable import S3

/// What AWS's role endpoints answer, read as the SDKs read it.
@Suite struct CredentialEndpointTests {
    @Test func anInstanceRoleDocumentGivesKeysTokenAndExpiration() throws {
        let lease = try CredentialEndpoint.lease(from: """
            {"Code": "Success", "LastUpdated": "2026-12-06T05:00:00Z", "Type": "AWS-HMAC",
             "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/+=", "Token": "IQoJb3JpZ2lu",
             "Expiration": "2026-12-06T11:00:00Z"}
            """, requireSuccess: true)
        #expect(lease.credentials == .init(accessKey: "ASIAEXAMPLE", secretKey: "secret/+=", sessionToken: "IQoJb3JpZ2lu"))
        #expect(lease.expiration == CredentialEndpoint.parseTime("2026-12-06T11:00:00Z"))
        #expect(CredentialEndpoint.parseTime("2026-12-06T11:00:00.123Z") != nil)
    }

    @Test(arguments: [
        #"{"Code": "AssumeRoleUnauthorizedAccess", "Message": "not allowed"}"#,
        #"{"Code": "Success", "AccessKeyId": "A"}"#,
        #"{"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "tomorrow"}"#,
        "<html>captive portal</html>",
    ])
    func aDocumentWithoutUsableKeysIsRefused(_ text: String) {
        #expect(throws: CredentialEndpoint.FetchError.self) { try CredentialEndpoint.lease(from: text, requireSuccess: true) }
    }

    @Test func anSTSAnswerGivesTheAssumedRolesKeys() throws {
        let lease = try CredentialEndpoint.stsLease(status: 200, text: """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <SubjectFromWebIdentityToken>system:serviceaccount:registry:pier</SubjectFromWebIdentityToken>
                <Credentials>
                  <SessionToken>FwoGZXIvYXdzE&amp;</SessionToken>
                  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>
                  <Expiration>2026-12-06T12:00:00Z</Expiration>
                  <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
                </Credentials>
                <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/pier/s</Arn></AssumedRoleUser>
              </AssumeRoleWithWebIdentityResult>
            </AssumeRoleWithWebIdentityResponse>
            """)
        #expect(lease.credentials == .init(accessKey: "ASIAWEBIDENTITY", secretKey: "wJalrXUtnFEMI/K7MDENG", sessionToken: "FwoGZXIvYXdzE&"))
        #expect(lease.expiration == CredentialEndpoint.parseTime("2026-12-06T12:00:00Z"))
    }

    @Test func anSTSRefusalIsReportedWithItsCodeAndMessage() {
        let refusal = """
            <ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
            <Message>Couldn't retrieve verification key from your identity provider</Message></Error></ErrorResponse>
            """
        do {
            _ = try CredentialEndpoint.stsLease(status: 400, text: refusal)
            Issue.record("a refusal gave keys")
        } catch {
            #expect("\(error)".contains("HTTP 400: InvalidIdentityToken: Couldn't retrieve verification key"))
        }
    }
}
