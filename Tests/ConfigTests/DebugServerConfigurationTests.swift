import Foundation
import Testing
@testable import Config

/// `http.debug`: the debug server's address and its Prometheus metrics.
@Suite struct DebugServerConfigurationTests {
    @Test func metricsWithoutADebugAddressStartWithAWarningAndNoMetricsAsInDistribution() throws {
        for text in [
            "version: 0.1\nhttp:\n  debug:\n    prometheus: {enabled: true}\n",
            "version: 0.1\nhttp:\n  debug:\n    addr: \"\"\n    prometheus: {enabled: true, path: /metrics}\n",
        ] {
            let config = try PierConfiguration.loading(text)
            #expect(config.debugAddress?.port == nil)
            #expect(config.prometheusPath == nil)
            #expect(config.ignoredSettings.map(\.key) == ["http.debug.prometheus.enabled"])
            #expect(config.ignoredSettings.first?.reason.contains("http.debug.addr") == true)
        }
        let fromEnvironment = try PierConfiguration.loading("version: 0.1\n", environment: ["REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED": "true"])
        #expect(fromEnvironment.prometheusPath == nil)
        #expect(fromEnvironment.ignoredSettings.map(\.key) == ["http.debug.prometheus.enabled"])
    }

    @Test func metricsWithADebugAddressAreServedWithoutAWarning() throws {
        let config = try PierConfiguration.loading("version: 0.1\nhttp:\n  debug:\n    addr: 127.0.0.1:5001\n    prometheus: {enabled: true}\n")
        #expect(config.debugAddress?.port == 5001)
        #expect(config.prometheusPath == "/metrics")
        #expect(config.ignoredSettings.isEmpty)
        let elsewhere = try PierConfiguration.loading(
            "version: 0.1\nhttp:\n  debug:\n    addr: 127.0.0.1:5001\n    prometheus: {enabled: true, path: /debug/metrics}\n"
        )
        #expect(elsewhere.prometheusPath == "/debug/metrics")
        let disabled = try PierConfiguration.loading("version: 0.1\nhttp:\n  debug:\n    prometheus: {enabled: false}\n")
        #expect(disabled.prometheusPath == nil && disabled.ignoredSettings.isEmpty)
    }

    @Test(arguments: ["/debug/health", "/debug/health/storage", "metrics"])
    func aMetricsPathThatWouldHideAHealthEndpointOrIsNotAPathIsRefusedNamingTheSetting(_ path: String) throws {
        #expect {
            try PierConfiguration.loading("version: 0.1\nhttp:\n  debug:\n    addr: 127.0.0.1:5001\n    prometheus: {enabled: true, path: \(path)}\n")
        } throws: { error in
            (error as? ConfigurationError)?.key == "http.debug.prometheus.path"
        }
    }
}
