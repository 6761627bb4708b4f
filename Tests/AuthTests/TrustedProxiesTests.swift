import Testing
@testable import Auth

@Suite struct TrustedProxiesTests {
    let proxies: TrustedProxies

    init() throws {
        proxies = try TrustedProxies(parsing: ["10.0.0.0/8", "192.168.1.5", "fd00::/8"])
    }

    @Test func aClientThatIsNotAProxyCannotNameAnotherAddress() {
        #expect(proxies.client(peer: "203.0.113.9", forwardedFor: "198.51.100.1", forwarded: nil) == "203.0.113.9")
        #expect(TrustedProxies.none.client(peer: "10.0.0.1", forwardedFor: "198.51.100.1", forwarded: nil) == "10.0.0.1")
    }

    @Test func behindATrustedProxyTheRightmostUntrustedAddressIsTheClient() {
        // The client wrote 1.2.3.4 itself; nginx appended the address it saw.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: "1.2.3.4, 198.51.100.7", forwarded: nil) == "198.51.100.7")
        // Two proxies in a row are both skipped.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: "198.51.100.7, 192.168.1.5", forwarded: nil) == "198.51.100.7")
        // Only proxies: the leftmost they vouch for.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: "10.9.9.9", forwarded: nil) == "10.9.9.9")
        // Without the header, the proxy itself.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: nil, forwarded: nil) == "10.1.2.3")
    }

    @Test func somethingThatIsNotAnAddressStopsTheWalk() {
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: "198.51.100.7, unknown", forwarded: nil) == "10.1.2.3")
    }

    @Test func onlyTheConfiguredHeaderIsRead() throws {
        // A client's own Forwarded cannot override what nginx appended to X-Forwarded-For…
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: nil, forwarded: "for=192.0.2.60") == "10.0.0.1")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: "198.51.100.7", forwarded: "for=192.0.2.60") == "198.51.100.7")
        // …nor its own X-Forwarded-For what a Forwarded-writing proxy says.
        let rfc = try TrustedProxies(parsing: ["10.0.0.0/8", "fd00::/8"], header: .forwarded)
        let header = #"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";by=10.0.0.1"#
        #expect(rfc.client(peer: "fd00::2", forwardedFor: "203.0.113.1", forwarded: header) == "2001:db8:cafe::17")
        #expect(rfc.client(peer: "10.0.0.1", forwardedFor: "203.0.113.1", forwarded: "for=192.0.2.60:8080") == "192.0.2.60")
        #expect(rfc.client(peer: "10.0.0.1", forwardedFor: "203.0.113.1", forwarded: nil) == "10.0.0.1")
    }

    @Test func rangesMatchByPrefixInBothFamilies() {
        #expect(proxies.contains("10.255.0.1"))
        #expect(!proxies.contains("11.0.0.1"))
        #expect(!proxies.contains("192.168.1.6"))
        #expect(proxies.contains("::ffff:10.0.0.7"))
        #expect(proxies.contains("fd12:3456::1"))
        #expect(!proxies.contains("fe80::1"))
    }

    @Test(arguments: ["10.0.0.0/33", "proxy.example.com", "10.0.0/8", "::1/129", ""])
    func anEntryThatIsNotAnAddressOrRangeIsRefused(_ entry: String) {
        #expect(throws: TrustedProxies.InvalidEntry.self) { try TrustedProxies(parsing: [entry]) }
    }
}
