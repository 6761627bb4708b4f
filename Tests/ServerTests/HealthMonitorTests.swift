import Config
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Registry
import Synchronization
import RegistryAPI
import Storage
import TestSupport
import Testing
@testable import Server

/// distribution's `health` checks: when a check counts as failing, what the registry's
/// port answers meanwhile, and what each kind of probe proves.
@Suite struct HealthMonitorTests {
    let store = Registry(driver: InMemoryDriver())

    @Test func aCheckFailsAfterItsThresholdInARowAndPassesAtItsFirstSuccess() {
        let monitor = HealthMonitor(checks: [])
        #expect(monitor.isHealthy)
        #expect(!monitor.record("redis:6379", threshold: 3, failure: "refused"))
        #expect(!monitor.record("redis:6379", threshold: 3, failure: "refused"))
        #expect(monitor.isHealthy)
        // A success between failures starts the count again.
        monitor.record("redis:6379", threshold: 3, failure: nil)
        monitor.record("redis:6379", threshold: 3, failure: "refused")
        monitor.record("redis:6379", threshold: 3, failure: "refused")
        #expect(monitor.isHealthy)
        #expect(monitor.record("redis:6379", threshold: 3, failure: "refused"))
        #expect(!monitor.isHealthy)
        #expect(monitor.failing.map(\.name) == ["redis:6379"])
        // Two failing: healthy again only when both pass.
        #expect(monitor.record("/maintenance", threshold: 1, failure: "file exists"))
        #expect(monitor.record("redis:6379", threshold: 3, failure: nil))
        #expect(!monitor.isHealthy)
        #expect(monitor.record("/maintenance", threshold: 1, failure: nil))
        #expect(monitor.isHealthy && monitor.failing.isEmpty)
    }

    @Test func theFileCheckFailsWhileTheFileExists() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-drain-\(UUID().uuidString)").path
        let probe = HealthMonitor.probe(for: .file(path: path), interval: .seconds(1), store: store)
        try await probe()
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        await #expect(throws: HealthMonitor.ProbeFailure.self) { try await probe() }
        try FileManager.default.removeItem(atPath: path)
        try await probe()
    }

    @Test func theTCPCheckPassesWhileSomethingListens() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let probe = HealthMonitor.probe(for: .tcp(address: "127.0.0.1:\(port)", timeout: .seconds(5)), interval: .seconds(5), store: store)
        try await probe()
        try await server.close()
        await #expect(throws: HealthMonitor.ProbeFailure.self) { try await probe() }
    }

    @Test func theStorageCheckListsTheStoreWithoutWriting() async throws {
        let driver = InMemoryDriver()
        let store = Registry(driver: driver)
        try await HealthMonitor.probe(for: .storage, interval: .seconds(5), store: store)()
        #expect(try await driver.list("/") == nil, "the check wrote to the store")
        // A full store still passes: nothing is written.
        try await driver.write([1], to: "/docker/registry/v2/x", durable: false)
        try await HealthMonitor.probe(for: .storage, interval: .seconds(5), store: Registry(driver: driver, options: .init(readOnly: true)))()
    }

    @Test func aProbeThatHangsFailsAtItsLimitAndIsNotStartedTwice() async throws {
        let busy = HealthMonitor.InFlight()
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await #expect(throws: HealthMonitor.ProbeFailure.self) {
            try await HealthMonitor.within(.milliseconds(50), "slow", busy: busy) {
                // Ignores cancellation, as a listing stuck in a kernel call would.
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        let second = await #expect(throws: HealthMonitor.ProbeFailure.self) {
            try await HealthMonitor.within(.seconds(5), "slow", busy: busy) {}
        }
        #expect(second?.description.contains("previous check") == true)
        parked.withLock { $0?.resume(); $0 = nil }
    }

    /// An S3 client's retries outlast the check's interval: the failure at the limit names
    /// what the attempts failed with, not only that the driver did not answer.
    @Test func aProbeCutAtItsLimitNamesTheLastFailureItsAttemptsReported() async throws {
        let busy = HealthMonitor.InFlight()
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let failure = await #expect(throws: HealthMonitor.ProbeFailure.self) {
            // Long enough for the work to have reported on a loaded machine before the cut.
            try await HealthMonitor.within(.seconds(2), "the storage driver did not answer", busy: busy) {
                StorageAttempts.failed?("GET images: connection refused")
                StorageAttempts.failed?("GET images: HTTP 403 SignatureDoesNotMatch")
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        let description = failure?.description ?? ""
        #expect(description.hasPrefix("the storage driver did not answer within"), "\(description)")
        #expect(description.hasSuffix("last error: GET images: HTTP 403 SignatureDoesNotMatch"), "\(description)")
        // While the cut run has not ended, the next says so, with the same last error.
        let second = await #expect(throws: HealthMonitor.ProbeFailure.self) {
            try await HealthMonitor.within(.seconds(5), "the storage driver did not answer", busy: busy) {}
        }
        #expect(second?.description.contains("previous check") == true)
        #expect(second?.description.contains("SignatureDoesNotMatch") == true)
        parked.withLock { $0?.resume(); $0 = nil }
    }

    /// A failure is named until the check passes: one that comes back hung later says only
    /// that it did not answer.
    @Test func aPassingProbeForgetsTheFailuresBeforeIt() async throws {
        let busy = HealthMonitor.InFlight()
        await #expect(throws: HealthMonitor.ProbeFailure.self) {
            try await HealthMonitor.within(.seconds(5), "slow", busy: busy) {
                throw HealthMonitor.ProbeFailure(description: "connection refused")
            }
        }
        #expect(busy.explaining("slow") == "slow; last error: connection refused")
        // The failed run's task may not have left yet when its failure is answered.
        var passed = false
        for _ in 0..<200 where !passed {
            do {
                try await HealthMonitor.within(.seconds(5), "slow", busy: busy) {}
                passed = true
            } catch {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        #expect(passed)
        #expect(busy.explaining("slow") == "slow")
    }

    /// Shutdown cancels the checks: a wait for a hung probe ends at once, not at its limit.
    @Test func cancellingAWaitForAHungProbeEndsItAtOnce() async throws {
        let busy = HealthMonitor.InFlight()
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let waiting = Task {
            try await HealthMonitor.within(.seconds(30), "slow", busy: busy) {
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        parked.withLock { $0?.resume(); $0 = nil }
    }

    @Test func whileACheckFailsEveryRequestButACMEsIsUnavailable() async throws {
        let monitor = HealthMonitor(checks: [])
        let api = RegistryResponder(registry: store, logger: Logger(label: "test"), settings: .init())
        var dispatcher = FrontDispatcher(registryAPI: api, tokenEndpoint: nil, indexAPI: nil, acmeChallenges: nil, accessLog: nil, extraHeaders: [:])
        dispatcher.health = monitor
        try await Application(responder: dispatcher).test(.router) { client in
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .ok)
            }
            monitor.record("/maintenance", threshold: 1, failure: "file exists")
            for uri in ["/v2/", "/v2/a/manifests/latest", "/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("UNAVAILABLE"))
                }
            }
            monitor.record("/maintenance", threshold: 1, failure: nil)
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
