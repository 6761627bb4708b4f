import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OCI
import Synchronization

/// A load client for registries, modelled on zot's `zb`: it speaks the registry protocol
/// directly and prints one JSON measurement, so the orchestrator (`bench/run.py`) can run
/// the same scenario against Pier and the reference server and compare.
@main
struct PierBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pier-bench",
        abstract: "Measure a registry with one scenario and print a JSON result."
    )

    @Option(help: "Registry base URL, e.g. http://127.0.0.1:5000.") var url: String
    @Option(help: "ping, manifest-head, manifest-get, tags, catalog, push-monolith, push-chunked, push-stream, pull, mixed, get-url, put-url.")
    var scenario: String
    @Option(help: "Requests in flight at once.") var concurrency = 8
    @Option(help: "Blob size in bytes.") var size = 1 << 20
    @Option(help: "Operations for count-based scenarios.") var count: Int?
    @Option(help: "Seconds for duration-based scenarios.") var duration = 10.0
    @Option(help: "Chunk size for push-chunked.") var chunk = 5 << 20
    @Option(help: "Repository (prefix) to use; default bench/<scenario>.") var repo: String?
    @Option(help: "Path for get-url and put-url.") var path = "/"
    @Option(help: "User for basic authentication.") var user: String?
    @Option(help: "Password for basic authentication.") var password: String?
    @Option(help: "Client event-loop threads.") var threads = 1
    @Option(help: "Bytes of memory to touch and free right before the timed phase (see MemoryWarmer).")
    var warmMemory = 0
    @Flag(help: "Use the general-purpose HTTP client for small requests and large downloads too (slower, for comparison).")
    var generalClient = false

    mutating func run() async throws {
        guard let scenario = Scenario(rawValue: scenario) else {
            throw ValidationError("unknown scenario \(self.scenario)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(concurrency, 1))
        config.timeout = .init(connect: .seconds(10), read: .seconds(600))
        let http = HTTPClient(eventLoopGroup: group, configuration: config)
        let authorization = user.map { "Basic " + Data("\($0):\(password ?? "")".utf8).base64EncodedString() }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let client = RegistryClient(http: http, base: base, authorization: authorization)
        let runner = ScenarioRunner(
            client: client,
            scenario: scenario,
            concurrency: max(concurrency, 1),
            size: size,
            count: count,
            duration: duration,
            chunk: chunk,
            repo: repo ?? "bench/\(scenario.rawValue)",
            path: path,
            group: group,
            leanClient: !generalClient,
            warmMemory: warmMemory
        )
        let outcome: Result<Measurement, any Error>
        do {
            if scenario != .getURL, scenario != .putURL { _ = try await client.ping() }
            outcome = .success(try await runner.run())
        } catch {
            outcome = .failure(error)
        }
        try? await http.shutdown()
        try? await group.shutdownGracefully()
        switch outcome {
        case .success(var measurement):
            measurement.afterSeconds = (ContinuousClock.now - measurement.timedEnd).seconds
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(measurement), as: UTF8.self))
        case .failure(let error):
            FileHandle.standardError.write(Data("pier-bench: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

enum Scenario: String, Sendable {
    case ping, manifestHead = "manifest-head", manifestGet = "manifest-get", tags, catalog
    case pushMonolith = "push-monolith", pushChunked = "push-chunked", pushStream = "push-stream"
    case pull, mixed, getURL = "get-url", putURL = "put-url"
}

/// Sets a scenario up (untimed), then runs it timed.
struct ScenarioRunner: Sendable {
    let client: RegistryClient
    let scenario: Scenario
    let concurrency: Int
    let size: Int
    let count: Int?
    let duration: Double
    let chunk: Int
    let repo: String
    let path: String
    let group: MultiThreadedEventLoopGroup
    /// Small requests go through `RawLoad`, large downloads through `DirectDownload`.
    let leanClient: Bool
    let warmMemory: Int

    /// Distinct content per run, so no round re-pushes what an earlier one stored.
    let seed = UInt64.random(in: 0...UInt64.max)

    static let manifestAccept = [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ].joined(separator: ", ")

    func run() async throws -> Measurement {
        let client = client
        let repo = repo
        switch scenario {
        case .ping:
            if leanClient { return try await raw(.GET, "/v2/") }
            return try await timed { _ in try await client.ping() }
        case .manifestHead, .manifestGet:
            try await client.pushImage(repo, tag: "latest", layer: .make(size: 1024, seed: seed), mode: .monolithic)
            let method: HTTPMethod = scenario == .manifestHead ? .HEAD : .GET
            if leanClient {
                return try await raw(method, "/v2/\(repo)/manifests/latest", headers: [("Accept", Self.manifestAccept)])
            }
            return try await timed { _ in
                try await client.fetch(method, "/v2/\(repo)/manifests/latest", headers: [("Accept", Self.manifestAccept)])
            }
        case .tags:
            let layer = Payload.make(size: 1024, seed: seed)
            try await client.pushImage(repo, tag: "t000", layer: layer, mode: .monolithic)
            let config = Payload.json(#"{"architecture":"amd64","os":"linux","pier-bench":"\#(layer.digest)"}"#)
            for i in 1..<20 {
                try await client.pushManifest(repo, tag: String(format: "t%03d", i), config: config, layer: layer)
            }
            if leanClient { return try await raw(.GET, "/v2/\(repo)/tags/list") }
            return try await timed { _ in try await client.fetch(.GET, "/v2/\(repo)/tags/list") }
        case .catalog:
            if leanClient { return try await raw(.GET, "/v2/_catalog?n=1000") }
            return try await timed { _ in try await client.fetch(.GET, "/v2/_catalog?n=1000") }
        case .pushMonolith, .pushChunked, .pushStream:
            let mode: UploadMode = scenario == .pushMonolith ? .monolithic : scenario == .pushChunked ? .chunked(chunk) : .streamed
            let payloads = makePayloads(count ?? 16)
            return try await counted(payloads.count) { i in
                try await client.pushImage(repo, tag: "i\(i)", layer: payloads[i], mode: mode)
                return payloads[i].size
            }
        case .pull:
            var digests = [Digest]()
            for i in 0..<(count ?? 16) {
                let payload = Payload.make(size: size, seed: seed &+ UInt64(i))
                try await client.pushBlob(repo, payload)
                digests.append(payload.digest)
            }
            let pulled = digests
            if leanClient, size >= Self.directDownloadMinimum {
                return try await directDownloads(pulled.map { "/v2/\(repo)/blobs/\($0)" }, expecting: pulled)
            }
            return try await counted(pulled.count) { i in try await client.pullBlob(repo, pulled[i]) }
        case .mixed:
            var stored = [Digest]()
            for i in 0..<32 {
                let payload = Payload.make(size: size, seed: seed &+ 1_000_000 &+ UInt64(i))
                try await client.pushBlob(repo, payload)
                stored.append(payload.digest)
            }
            let pool = makePayloads(count ?? 256)
            let next = Atomic<Int>(0)
            let pullable = stored
            return try await timed { iteration in
                if iteration % 4 == 3 {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % pool.count
                    try await client.pushBlob(repo, pool[index])
                    return pool[index].size
                }
                return try await client.pullBlob(repo, pullable[iteration % pullable.count])
            }
        case .getURL:
            if let count {
                if leanClient, size >= Self.directDownloadMinimum {
                    return try await directDownloads(Array(repeating: path, count: count), expecting: nil)
                }
                return try await counted(count) { _ in try await client.fetchHashed(path) }
            }
            if leanClient { return try await raw(.GET, path) }
            return try await timed { _ in try await client.fetch(.GET, path) }
        case .putURL:
            let payloads = makePayloads(count ?? 1)
            return try await counted(payloads.count) { i in
                try await client.putRaw("\(path)-\(seed)-\(i)", payloads[i])
                return payloads[i].size
            }
        }
    }

    /// Downloads from this size up go through `DirectDownload`.
    static let directDownloadMinimum = 16 << 20

    /// Large downloads, each into memory made resident before the timed phase. The digests
    /// are checked once that phase is over, each mismatch counted as an error of the run:
    /// hashing while receiving made one core's SHA-256 the limit of every server's pull.
    private func directDownloads(_ paths: [String], expecting expected: [Digest]?) async throws -> Measurement {
        let (url, headers) = try leanTarget()
        let memory = try paths.map { _ in try ResidentMemory(count: size) }
        var measurement = try await counted(paths.count) { i in
            try await DirectDownload(host: url.host, port: url.port, path: paths[i], headers: headers).run(into: memory[i])
        }
        for (i, digest) in (expected ?? []).enumerated() {
            guard let filled = memory[i].filled else { continue }  // already counted as failed
            var hasher = DigestHasher(algorithm: digest.algorithm)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: memory[i].bytes[..<filled]))
            if hasher.finalize() != digest { measurement.countFailure("digest mismatch pulling \(digest)") }
        }
        return measurement
    }

    /// Where the lean clients connect, and the credentials they send, from the client's base URL.
    private func leanTarget() throws -> (URLParts, [(String, String)]) {
        guard let url = URLParts(client.base) else { throw ValidationError("cannot parse \(client.base)") }
        return (url, client.authorization.map { [("Authorization", $0)] } ?? [])
    }

    /// A duration-based run of one small request on the lean NIO client.
    private func raw(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = []) async throws -> Measurement {
        let (url, auth) = try leanTarget()
        let headers = headers + auth
        let load = RawLoad(
            host: url.host, port: url.port, method: method, path: path, headers: headers,
            concurrency: concurrency, duration: duration
        )
        let cpuStart = processCPUSeconds()
        let start = ContinuousClock.now
        let results = try await load.run(on: group)
        let seconds = (ContinuousClock.now - start).seconds
        return WorkerResult.merge(results, scenario: scenario.rawValue, seconds: seconds, cpu: processCPUSeconds() - cpuStart)
    }

    private func makePayloads(_ n: Int) -> [Payload] {
        (0..<n).map { Payload.make(size: size, seed: seed &+ UInt64($0)) }
    }

    /// Runs `operation` from `concurrency` workers until `duration` has passed.
    private func timed(_ operation: @escaping @Sendable (Int) async throws -> Int) async throws -> Measurement {
        MemoryWarmer.warm(bytes: warmMemory)  // before the deadline is set: it takes seconds
        let deadline = ContinuousClock.now + .milliseconds(Int(duration * 1000))
        return try await measure { worker in
            var result = WorkerResult()
            var iteration = worker
            while ContinuousClock.now < deadline {
                let start = ContinuousClock.now
                let outcome: Result<Int, any Error>
                do { outcome = .success(try await operation(iteration)) } catch { outcome = .failure(error) }
                result.record(outcome, seconds: (ContinuousClock.now - start).seconds)
                iteration += concurrency
            }
            return result
        }
    }

    /// Runs operations 0..<n, spread over `concurrency` workers.
    private func counted(_ n: Int, _ operation: @escaping @Sendable (Int) async throws -> Int) async throws -> Measurement {
        MemoryWarmer.warm(bytes: warmMemory)
        return try await measure { worker in
            var result = WorkerResult()
            for i in stride(from: worker, to: n, by: concurrency) {
                let start = ContinuousClock.now
                let outcome: Result<Int, any Error>
                do { outcome = .success(try await operation(i)) } catch { outcome = .failure(error) }
                result.record(outcome, seconds: (ContinuousClock.now - start).seconds)
            }
            return result
        }
    }

    private func measure(_ worker: @escaping @Sendable (Int) async throws -> WorkerResult) async throws -> Measurement {
        let cpuStart = processCPUSeconds()
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for w in 0..<concurrency { group.addTask { try await worker(w) } }
            var all = [WorkerResult]()
            for try await result in group { all.append(result) }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        return WorkerResult.merge(results, scenario: scenario.rawValue, seconds: seconds, cpu: processCPUSeconds() - cpuStart)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Host and port of an `http://host:port` URL.
struct URLParts {
    let host: String
    let port: Int

    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first ?? ""
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        host = String(rest[..<colon])
        self.port = port
    }
}
