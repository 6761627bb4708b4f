import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Registry
import Storage
import TestSupport
import Testing
@testable import Server

/// The debug server's endpoints: `/debug/health` as distribution answers it, the storage
/// write check beside it, and the methods they take.
@Suite struct DebugResponderTests {
    /// A store whose root is a regular file: every write fails, as on a broken volume.
    static func unwritableStore() -> Registry {
        let root = TestDrivers.temporaryRoot()
        #expect(FileManager.default.createFile(atPath: root, contents: Data("not a directory".utf8)))
        return Registry(driver: FileSystemDriver(root: root))
    }

    @Test func healthAnswersTheConfiguredChecksOnlyAndNotTheStoresWrites() async throws {
        let monitor = HealthMonitor(checks: [])
        let responder = DebugResponder(registry: Self.unwritableStore(), logger: Logger(label: "test"), metrics: nil, health: monitor)
        try await Application(responder: responder).test(.router) { client in
            // The store refuses writes, and no check is failing: 200 `{}`, as distribution.
            try await client.execute(uri: "/debug/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "{}")
            }
            monitor.record("/maintenance", threshold: 1, failure: "file exists")
            try await client.execute(uri: "/debug/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"/maintenance":"file exists"}"#)
            }
            monitor.record("/maintenance", threshold: 1, failure: nil)
            try await client.execute(uri: "/debug/health", method: .head) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func healthWithoutAnyChecksIsAlwaysOK() async throws {
        let responder = DebugResponder(registry: Self.unwritableStore(), logger: Logger(label: "test"), metrics: nil)
        try await Application(responder: responder).test(.router) { client in
            try await client.execute(uri: "/debug/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "{}")
            }
        }
    }

    @Test func theStorageCheckFailsWithTheSpecsBodyAndTheSystemsWordsWhileTheStoreCannotTakeAWrite() async throws {
        let responder = DebugResponder(registry: Self.unwritableStore(), logger: Logger(label: "test"), metrics: nil)
        try await Application(responder: responder).test(.router) { client in
            try await client.execute(uri: "/debug/health/storage", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(body.contains(#""code":"UNAVAILABLE""#), "\(body)")
                // errno 20, and what it means.
                #expect(body.contains("errno \(ENOTDIR) (Not a directory)"), "\(body)")
            }
        }
        let healthy = DebugResponder(registry: Registry(driver: InMemoryDriver()), logger: Logger(label: "test"), metrics: nil)
        try await Application(responder: healthy).test(.router) { client in
            try await client.execute(uri: "/debug/health/storage", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "{}")
            }
        }
    }

    /// Requests that come while a check runs wait for it rather than being told that the
    /// previous check has not finished (what a hung store's next request is told).
    @Test func concurrentStorageChecksDoNotFailEachOther() async throws {
        let check = StorageWriteCheck(store: Registry(driver: InMemoryDriver()))
        let results = await withTaskGroup(of: String?.self, returning: [String?].self) { group in
            for _ in 0..<8 { group.addTask { await check.run() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == nil })
    }

    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch, .options])
    func everyEndpointAnswersOtherMethodsThanGetAndHeadWith405AndAllow(_ method: HTTPRequest.Method) async throws {
        let responder = DebugResponder(registry: Registry(driver: InMemoryDriver()), logger: Logger(label: "test"), metrics: nil)
        try await Application(responder: responder).test(.router) { client in
            for uri in ["/debug/health", "/debug/health/storage"] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                    #expect(String(buffer: response.body).contains(#""code":"UNSUPPORTED""#))
                }
            }
            // A path the debug server does not have is still 404, whatever the method.
            try await client.execute(uri: "/debug/nothing", method: method) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
