import Config
import NIOSSL
import Testing

@Suite struct CipherSuiteTests {
    /// swift-nio-ssl names each configured suite by looking its number up in BoringSSL's
    /// table, and one missing there stops the start; BoringSSL's own parsing of the names
    /// skips a missing one instead, so comparing the two finds it without a crash.
    @Test func everyCipherSuitePierOffersIsOneBoringSSLImplements() {
        let legacy = PierConfiguration.cipherSuites.filter { $0.value >> 8 != 0x13 }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([])
        tls.cipherSuites = legacy.keys.sorted().joined(separator: ":")
        #expect(Set(tls.cipherSuiteValues.map(\.rawValue)) == Set(legacy.values))
    }
}
