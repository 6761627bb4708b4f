import Foundation
import Testing
@testable import Auth

@Suite struct HtpasswdProviderTests {
    func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }

    @Test func credentialsDecodeUserAndPassword() {
        #expect(HtpasswdProvider.basicCredentials(basic("alice:pw:with:colons"))! == ("alice", "pw:with:colons"))
    }

    /// bcrypt stops at a NUL: `alicepw\0garbage` must not pass as `alicepw`.
    @Test(arguments: ["alice:alicepw\u{0}garbage", "ali\u{0}ce:alicepw", ":pw", "nocolon"])
    func credentialsWithANulByteOrNoUserAreMalformed(_ text: String) {
        #expect(HtpasswdProvider.basicCredentials(basic(text)) == nil)
    }
}
