import Net
import Testing

/// The environment read as Go's `net/http` reads it (`golang.org/x/net/http/httpproxy`), so
/// a registry swapped in for distribution goes out the same way.
@Suite struct ProxyEnvironmentTests {
    private func route(_ url: String, _ environment: [String: String]) -> String? {
        ProxyEnvironment(environment).proxy(for: url)?.description
    }

    @Test func aProxyWithoutSchemeIsHTTPAndTheSchemesPortIsTheDefault() {
        #expect(route("http://example.com/", ["HTTP_PROXY": "cache.corp.example.com:1234"]) == "http://cache.corp.example.com:1234")
        #expect(route("http://example.com/", ["HTTP_PROXY": "cache.corp.example.com"]) == "http://cache.corp.example.com:80")
        #expect(route("https://example.com/", ["HTTPS_PROXY": "socks5://127.0.0.1"]) == "socks5://127.0.0.1:1080")
    }

    @Test func eachSchemeTakesItsOwnVariableAndUpperCaseWins() {
        let environment = ["HTTP_PROXY": "http://plain:3128", "https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:3128"]
        #expect(route("http://registry-1.docker.io/v2/", environment) == "http://plain:3128")
        #expect(route("https://registry-1.docker.io/v2/", environment) == "http://upper:3128")
        // An https request with only HTTP_PROXY set goes direct, as in Go.
        #expect(route("https://registry-1.docker.io/v2/", ["HTTP_PROXY": "http://plain:3128"]) == nil)
        #expect(route("https://registry-1.docker.io/v2/", ["https_proxy": "http://lower:3128"]) == "http://lower:3128")
    }

    @Test func httpProxyIsIgnoredUnderCGI() {
        let environment = ProxyEnvironment(["HTTP_PROXY": "http://evil:80", "HTTPS_PROXY": "http://good:3128", "REQUEST_METHOD": "GET"])
        #expect(environment.proxy(for: "http://example.com/") == nil)
        #expect(environment.proxy(for: "https://example.com/")?.host == "good")
        #expect(environment.problems.map(\.variable) == ["HTTP_PROXY"])
    }

    @Test func loopbackIsNeverProxied() {
        let environment = ["HTTP_PROXY": "http://proxy:3128", "HTTPS_PROXY": "http://proxy:3128"]
        for url in ["http://localhost:5000/", "http://127.0.0.1/", "http://127.8.9.1:80/", "https://[::1]:5000/", "http://LOCALHOST/"] {
            #expect(route(url, environment) == nil, "\(url)")
        }
        // A name that resolves to loopback is not known to be loopback: Go proxies it too.
        #expect(route("http://vm:5000/", environment) == "http://proxy:3128")
    }

    @Test func noProxyMatchesDomainsAsGoDoes() {
        let environment = ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": " foo.com, .y.com,*.z.com ,example.org:8443"]
        #expect(route("https://foo.com/", environment) == nil)
        #expect(route("https://bar.foo.com/", environment) == nil)
        #expect(route("https://xfoo.com/", environment) != nil)
        #expect(route("https://x.y.com/", environment) == nil)
        #expect(route("https://y.com/", environment) != nil)
        #expect(route("https://a.z.com/", environment) == nil)
        #expect(route("https://z.com/", environment) != nil)
        #expect(route("https://example.org:8443/", environment) == nil)
        #expect(route("https://example.org/", environment) != nil)
        #expect(route("https://FOO.COM/", environment) == nil)
    }

    @Test func noProxyMatchesAddressesAndRanges() {
        let environment = ["HTTP_PROXY": "http://proxy:3128", "no_proxy": "10.0.0.0/8,192.168.1.1:8080,2001:db8::/32,[2001:db9::1]:80,169.254.169.254"]
        #expect(route("http://10.1.2.3/", environment) == nil)
        #expect(route("http://11.1.2.3/", environment) != nil)
        #expect(route("http://192.168.1.1:8080/", environment) == nil)
        #expect(route("http://192.168.1.1/", environment) != nil)
        #expect(route("http://[2001:db8::5]/", environment) == nil)
        #expect(route("http://[2001:db9::1]/", environment) == nil)
        #expect(route("http://169.254.169.254/latest/", environment) == nil)
    }

    @Test func anAsteriskBypassesEverything() {
        #expect(route("https://registry-1.docker.io/", ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "*"]) == nil)
    }

    @Test func credentialsComeFromTheURLAndStayOutOfItsDescription() throws {
        let proxy = try #require(ProxyEnvironment(["HTTPS_PROXY": "http://me:p%40ss@proxy:3128"]).proxy(for: "https://example.com/"))
        #expect(proxy.username == "me" && proxy.password == "p@ss")
        #expect(proxy.description == "http://proxy:3128")
    }

    @Test func proxiesPierCannotSpeakAreNamedAndGoDirect() {
        let environment = ProxyEnvironment([
            "HTTPS_PROXY": "https://proxy:3128", "HTTP_PROXY": "ftp://proxy:21",
        ])
        #expect(environment.proxy(for: "https://example.com/") == nil)
        #expect(environment.proxy(for: "http://example.com/") == nil)
        #expect(Set(environment.problems.map(\.variable)) == ["HTTPS_PROXY", "HTTP_PROXY"])
        #expect(ProxyEnvironment(["HTTPS_PROXY": "socks5://u:p@proxy"]).problems.count == 1)
    }

    @Test func anEmptyEnvironmentProxiesNothing() {
        #expect(ProxyEnvironment([:]).proxy(for: "https://example.com/") == nil)
        #expect(ProxyEnvironment(["HTTPS_PROXY": ""]).proxy(for: "https://example.com/") == nil)
    }
}
