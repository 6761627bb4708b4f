import Foundation
import Metrics
import Prometheus
import Testing
@testable import Server

/// The metrics backend: each of Pier's metrics with its `# HELP` line, and otherwise what
/// swift-prometheus' own factory makes of it (types, buckets, destroying).
@Suite struct PierMetricsFactoryTests {
    @Test func piersMetricsHaveAHelpLineAndKeepTheirTypesAndBuckets() {
        let registry = PrometheusCollectorRegistry()
        let factory = PierMetricsFactory(registry: registry)
        factory.makeCounter(label: "pier_gc_runs_total", dimensions: [("result", "success")]).increment(by: 2)
        factory.makeFloatingPointCounter(label: "pier_gc_freed_bytes_total", dimensions: []).increment(by: 1.5)
        factory.makeRecorder(label: "pier_gc_marked_blobs", dimensions: [], aggregate: false).record(Int64(7))
        factory.makeMeter(label: "pier_uploads_in_progress", dimensions: []).set(Int64(1))
        factory.makeTimer(label: "pier_http_request_duration_seconds", dimensions: [("route", "blob"), ("method", "GET")])
            .recordNanoseconds(3_000_000)
        let text = registry.emitToString()
        for name in ["pier_gc_runs_total", "pier_gc_freed_bytes_total", "pier_gc_marked_blobs", "pier_uploads_in_progress", "pier_http_request_duration_seconds"] {
            let help = PierMetricsFactory.helpTexts[name] ?? ""
            #expect(!help.isEmpty && text.contains("# HELP \(name) \(help)\n"), "\(name)")
        }
        #expect(text.contains("# TYPE pier_gc_runs_total counter\n"))
        #expect(text.contains(#"pier_gc_runs_total{result="success"} 2"#))
        #expect(text.contains("# TYPE pier_gc_freed_bytes_total counter\npier_gc_freed_bytes_total 1.5\n"))
        #expect(text.contains("# TYPE pier_gc_marked_blobs gauge\npier_gc_marked_blobs 7.0\n"))
        #expect(text.contains("# TYPE pier_uploads_in_progress gauge\npier_uploads_in_progress 1.0\n"))
        #expect(text.contains("# TYPE pier_http_request_duration_seconds histogram\n"))
        // PrometheusMetricsFactory's default duration buckets, 5 ms to 10 s.
        #expect(text.contains(#"pier_http_request_duration_seconds_bucket{route="blob",method="GET",le="0.001"}"#) == false)
        #expect(text.contains(#"pier_http_request_duration_seconds_bucket{route="blob",method="GET",le="0.0025"}"#) == false)
        #expect(text.contains(#"pier_http_request_duration_seconds_bucket{route="blob",method="GET",le="0.005"} 1"#))
        #expect(text.contains(#"pier_http_request_duration_seconds_bucket{route="blob",method="GET",le="10.0"} 1"#))
        #expect(text.contains(#"pier_http_request_duration_seconds_count{route="blob",method="GET"} 1"#))
    }

    @Test func aNameWithoutAHelpTextIsMadeAsPrometheusMetricsFactoryMakesIt() {
        let registry = PrometheusCollectorRegistry()
        let factory = PierMetricsFactory(registry: registry)
        factory.makeCounter(label: "other_total", dimensions: []).increment(by: 1)
        factory.makeRecorder(label: "other_sizes", dimensions: [], aggregate: true).record(Int64(30))
        let text = registry.emitToString()
        #expect(text.contains("# TYPE other_total counter\nother_total 1\n"))
        #expect(!text.contains("# HELP"))
        // An aggregating recorder is a histogram with the default value buckets.
        #expect(text.contains("# TYPE other_sizes histogram\n"))
        #expect(text.contains(#"other_sizes_bucket{le="25.0"} 0"#) && text.contains(#"other_sizes_bucket{le="50.0"} 1"#))
    }

    /// What the quota gauges rely on: a destroyed series leaves the exposition, and its
    /// family with its last series.
    @Test func destroyedMetricsLeaveTheExposition() {
        let registry = PrometheusCollectorRegistry()
        let factory = PierMetricsFactory(registry: registry)
        let kept = factory.makeRecorder(label: "pier_namespace_usage_bytes", dimensions: [("namespace", "kept")], aggregate: false)
        let gone = factory.makeRecorder(label: "pier_namespace_usage_bytes", dimensions: [("namespace", "gone")], aggregate: false)
        kept.record(Int64(1))
        gone.record(Int64(2))
        factory.destroyRecorder(gone)
        var text = registry.emitToString()
        #expect(text.contains(#"pier_namespace_usage_bytes{namespace="kept"} 1.0"#))
        #expect(!text.contains(#"namespace="gone""#))
        factory.destroyRecorder(kept)
        let timer = factory.makeTimer(label: "pier_mirror_upstream_duration_seconds", dimensions: [("upstream", "hub")])
        factory.destroyTimer(timer)
        let counter = factory.makeCounter(label: "pier_gc_revived_total", dimensions: [])
        factory.destroyCounter(counter)
        let meter = factory.makeMeter(label: "pier_uploads_in_progress", dimensions: [])
        factory.destroyMeter(meter)
        text = registry.emitToString()
        #expect(text.isEmpty, "\(text)")
        // Made again after being destroyed: the same help text, no clash.
        factory.makeRecorder(label: "pier_namespace_usage_bytes", dimensions: [("namespace", "kept")], aggregate: false).record(Int64(3))
        #expect(registry.emitToString().contains("# HELP pier_namespace_usage_bytes "))
    }

    /// Every `pier_` metric recorded anywhere in the sources has its help text, and the
    /// table names none that is not recorded.
    @Test func theHelpTableCoversEveryMetricInTheSources() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let paths = try #require(FileManager.default.subpaths(atPath: sources.path))
        var recorded = Set<String>()
        for path in paths where path.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            for piece in text.components(separatedBy: #"label: "pier_"#).dropFirst() {
                recorded.insert("pier_" + String(piece.prefix { $0 != "\"" }))
            }
        }
        #expect(recorded.count >= 30)
        let described = Set(PierMetricsFactory.helpTexts.keys)
        #expect(recorded.subtracting(described).isEmpty, "without a help text: \(recorded.subtracting(described).sorted())")
        #expect(described.subtracting(recorded).isEmpty, "not recorded: \(described.subtracting(recorded).sorted())")
    }
}
