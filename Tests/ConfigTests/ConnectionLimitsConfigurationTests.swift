import Foundation
import Testing
@testable import Config

@Suite struct ConnectionLimitsConfigurationTests {
    @Test func headerIdleAndWriteTimeoutsAndTheConnectionLimitHaveSafeDefaults() throws {
        let config = try PierConfiguration.load(path: nil, environment: [:])
        #expect(config.headerTimeout == .seconds(30) && config.idleTimeout == .seconds(60) && config.maxConnections == nil)
        #expect(config.writeTimeout == .seconds(60))
    }

    @Test func theyAreSetInTheFileOrByRegistryVariables() throws {
        let config = try PierConfiguration.loading("""
            storage: {filesystem: {rootdirectory: /x}}
            http: {timeouts: {header: 5s, idle: 2m, write: 30s}, maxconnections: 2000}
            """, environment: ["REGISTRY_HTTP_TIMEOUTS_HEADER": "10s", "REGISTRY_HTTP_TIMEOUTS_WRITE": "90s"])
        #expect(config.unknownKeys.isEmpty)
        #expect(config.writeTimeout == .seconds(90))
        #expect(config.headerTimeout == .seconds(10) && config.idleTimeout == .seconds(120) && config.maxConnections == 2000)
    }

    @Test(arguments: [
        ("http: {timeouts: {header: 0s}}", "http.timeouts.header"),
        ("http: {timeouts: {idle: -1s}}", "http.timeouts.idle"),
        ("http: {timeouts: {write: 0s}}", "http.timeouts.write"),
        ("http: {maxconnections: 0}", "http.maxconnections"),
    ])
    func refusesLimitsThatWouldRefuseEveryone(_ yaml: String, _ key: String) throws {
        #expect {
            try PierConfiguration.loading("storage: {filesystem: {rootdirectory: /x}}\n" + yaml)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
