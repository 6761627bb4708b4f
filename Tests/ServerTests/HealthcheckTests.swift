import Config
import Testing
@testable import Server

/// `pier healthcheck` asks the listener the configuration describes, from inside the same
/// host or container: where it binds everywhere, the loopback address.
@Suite struct HealthcheckTests {
    func url(_ yaml: String) throws -> String {
        Healthcheck.url(try PierConfiguration.load(yaml: "version: 0.1\n" + yaml, source: "test", environment: [:]))
    }

    @Test func aListenerOnEveryAddressIsAskedOnTheLoopback() throws {
        #expect(try url("") == "http://127.0.0.1:5000/v2/")
        #expect(try url("http:\n  addr: :5001\n") == "http://127.0.0.1:5001/v2/")
        #expect(try url("http:\n  addr: 0.0.0.0:5002\n") == "http://127.0.0.1:5002/v2/")
        #expect(try url("http:\n  addr: '[::]:5003'\n") == "http://127.0.0.1:5003/v2/")
    }

    @Test func aListenerOnOneAddressIsAskedThereWithItsPrefix() throws {
        #expect(try url("http:\n  addr: 10.1.2.3:5000\n  prefix: /registry/\n") == "http://10.1.2.3:5000/registry/v2/")
        #expect(try url("http:\n  addr: '[::1]:5000'\n") == "http://[::1]:5000/v2/")
    }

    @Test func aUnixSocketIsAskedThroughIt() throws {
        #expect(try url("http:\n  net: unix\n  addr: /run/pier/pier.sock\n") == "http+unix://%2Frun%2Fpier%2Fpier%2Esock/v2/")
    }
}
