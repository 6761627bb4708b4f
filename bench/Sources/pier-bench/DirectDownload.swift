#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Downloads one large body with blocking socket reads straight into resident memory, on a
/// thread of its own: no event loop, no buffer allocation, one copy (the kernel's).
///
/// A registry pull must be verified, but on a 2-core machine a client that hashes while it
/// receives is bound by one core's SHA-256 (~2.1 GB/s here), below what every server sends,
/// so the row measured the client and made all servers tie. The digest is checked after the
/// timed phase instead (`ScenarioRunner`), over the bytes this received.
struct DirectDownload {
    let host: String
    let port: Int
    let path: String
    let headers: [(String, String)]

    /// Returns the body's length; fails on a status other than 200, a body without
    /// `Content-Length`, one larger than `memory`, or a connection that ends early.
    func run(into memory: ResidentMemory) async throws -> Int {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Int, any Error>) in
            let download = self
            Thread.detachNewThread {
                let result = Result { try download.receive(into: memory.bytes) }
                if case .success(let length) = result { memory.filled = length }
                done.resume(with: result)
            }
        }
    }

    private func failure(_ text: String) -> RegistryClient.Failure {
        RegistryClient.Failure(description: "GET \(path): \(text)")
    }

    private func receive(into memory: UnsafeMutableRawBufferPointer) throws -> Int {
        let fd = try connect()
        defer { close(fd) }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Connection: close\r\n\r\n"
        try send(Array(request.utf8), on: fd)

        // The head, and whatever part of the body came with it.
        var head = [UInt8]()
        var headEnd: Int?
        var scratch = [UInt8](repeating: 0, count: 64 << 10)
        while headEnd == nil {
            let got = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw failure("connection closed before the response head ended") }
            let searchFrom = max(0, head.count - 3)
            head.append(contentsOf: scratch[..<got])
            headEnd = Self.find([13, 10, 13, 10], in: head, from: searchFrom).map { $0 + 4 }
            if headEnd == nil, head.count > 64 << 10 { throw failure("response head over 64 KiB") }
        }
        let bodyStart = headEnd ?? head.count
        let (status, length) = try parseHead(String(decoding: head[..<bodyStart], as: UTF8.self))
        let early = head[bodyStart...]
        guard status == 200 else {
            throw failure("\(status) \(String(decoding: early.prefix(300), as: UTF8.self))")
        }
        guard let length else { throw failure("no Content-Length (chunked bodies are not read here)") }
        guard length <= memory.count, early.count <= length, let base = memory.baseAddress else {
            throw failure("body of \(length) bytes does not fit the \(memory.count) prepared")
        }
        early.withUnsafeBytes { memory.copyMemory(from: $0) }
        var received = early.count
        while received < length {
            let got = recv(fd, base + received, length - received, 0)
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw failure("connection closed after \(received) of \(length) bytes") }
            received += got
        }
        return length
    }

    /// Status code and `Content-Length` of a response head.
    private func parseHead(_ text: String) throws -> (Int, Int?) {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw failure("bad status line \(lines.first ?? "")")
        }
        var length: Int?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "content-length" {
                length = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return (status, length)
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw failure("cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            next = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            close(fd)
        }
        throw failure("cannot connect to \(host):\(port): errno \(errno)")
    }

    private func send(_ bytes: [UInt8], on fd: Int32) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + sent }, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw failure("cannot send the request: errno \(errno)") }
            sent += n
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}
