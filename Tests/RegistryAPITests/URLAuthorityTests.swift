import RegistryAPI
import Testing

/// Which hosts and schemes the server writes into the URLs it hands out.
@Suite struct URLAuthorityTests {
    @Test(arguments: [
        "registry.example.com", "registry.example.com:5000", "127.0.0.1:5000", "localhost", "[::1]", "[::1]:5000",
        "[fe80::1%25eth0]:443", "xn--bcher-kva.example", "host:", "under_score.local",
    ])
    func hostsAClientOrProxyNamesAreValid(_ text: String) {
        #expect(URLAuthority.isValid(Substring(text)))
    }

    @Test(arguments: [
        "", "evil.example/x", "a b", "x?y", "x#y", "user@host", "host:port", "host:80:80x", "[::1", "[]", "[::1]x",
        "[::1]:5000/x", "\u{e9}.example", "a\tb", ":5000", "a\\b",
    ])
    func whatNamesNoHostIsInvalid(_ text: String) {
        #expect(!URLAuthority.isValid(Substring(text)))
    }

    @Test func schemesFollowRFC3986() {
        for scheme in ["http", "https", "HTTPS", "coap+tcp", "a.b-c"] { #expect(URLAuthority.isValidScheme(Substring(scheme))) }
        for scheme in ["", "1http", "java script", "https://", "-x"] { #expect(!URLAuthority.isValidScheme(Substring(scheme))) }
    }

    @Test func aProxysHeaderGivesItsFirstElementOnlyWhenItHasTheShape() {
        #expect(URLAuthority.firstElement(of: " registry.example.com , inner", URLAuthority.isValid) == "registry.example.com")
        #expect(URLAuthority.firstElement(of: "evil/x, registry.example.com", URLAuthority.isValid) == nil)
        #expect(URLAuthority.firstElement(of: nil, URLAuthority.isValid) == nil)
        #expect(URLAuthority.firstElement(of: "https", URLAuthority.isValidScheme) == "https")
    }
}
