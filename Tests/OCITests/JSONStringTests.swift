import Testing
@testable import OCI

/// Hand-written JSON (error bodies, access-log lines) stays valid whatever a client sends.
@Suite struct JSONStringTests {
    @Test func plainTextComesBackAsItIs() {
        #expect(JSONString.escaped("blob unknown to registry") == "blob unknown to registry")
    }

    @Test func quotesBackslashesAndControlCharactersAreEscaped() {
        #expect(JSONString.escaped("a\"b\\c\nd\re\tf\u{01}g") == #"a\"b\\c\nd\re\tf\u0001g"#)
    }
}
