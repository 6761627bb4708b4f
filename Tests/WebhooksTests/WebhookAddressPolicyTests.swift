import Net
import Auth
import Testing
@testable import Webhooks

/// Where a webhook may send, before anything is sent.
@Suite struct WebhookAddressPolicyTests {
    let policy = WebhookAddressPolicy(allowed: .empty)

    @Test(arguments: ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                      "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1", "::127.0.0.1", "::ffff:0:7f00:1",
                      "2002:7f00:1::1", "64:ff9b:1::7f00:1", "2001:0:4136:e378::1", "fec0::1"])
    func nonPublicAddressesAreRefused(address: String) {
        #expect(!policy.isAllowed(address))
    }

    @Test(arguments: ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
    func publicAddressesAreAllowed(address: String) {
        #expect(policy.isAllowed(address))
    }

    @Test func theOperatorMayAllowAPrivateRange() throws {
        let allowing = WebhookAddressPolicy(allowed: try AddressRanges(parsing: ["127.0.0.0/8", "10.0.0.0/16"]))
        #expect(allowing.isAllowed("127.0.0.1") && allowing.isAllowed("10.0.9.9"))
        #expect(!allowing.isAllowed("10.1.0.1") && !allowing.isAllowed("169.254.169.254"))
    }

    @Test(arguments: ["ftp://example.com/", "http://", "not a url", "http://127.0.0.1:9/", "http://[::1]/", "http://localhost/"])
    func urlsAreCheckedBeforeAHookIsMade(url: String) async {
        #expect(await policy.refusal(for: url) != nil)
    }

    @Test func aSignatureIsTheHMACOfTheBody() {
        // RFC 4231 test case 2.
        let mac = WebhookPayload.signature(Array("what do ya want for nothing?".utf8), secret: "Jefe")
        #expect(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
