#if canImport(Glibc)
import Glibc
#endif
import Config
import NIOCore

extension PierServer {
    /// Makes way for the unix socket `http.addr` names: a socket nobody answers on (left by
    /// a process that died) is removed; anything else stops the start, as a TCP port in use
    /// does. Unlinking whatever was there deleted a file given by mistake, and took a live
    /// socket from the instance serving on it.
    static func clearStaleSocket(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ConfigurationError(key: "http.addr", message: "\(path) exists and is not a socket; it is left as it is")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return }
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw ConfigurationError(key: "http.addr", message: "\(path) is in use: another server answers on it")
        }
        if errno == ECONNREFUSED { unlink(path) }
    }

    /// A listener's failure to bind, said as a configuration error naming the addresses:
    /// NIO's own (`bind(descriptor:ptr:bytes:): Address already in use`) names none.
    func listening(_ error: any Error) -> any Error {
        guard let io = error as? IOError, io.errnoCode == EADDRINUSE || io.errnoCode == EACCES || io.errnoCode == EADDRNOTAVAIL else { return error }
        var addresses = [configuration.unixSocket ?? "\(configuration.host):\(configuration.port) (http.addr)"]
        if let plain = configuration.plainListener { addresses.append("\(plain.host):\(plain.port) (http.plain.addr)") }
        if let debug = configuration.debugAddress { addresses.append("\(debug.host):\(debug.port) (http.debug.addr)") }
        let reason = io.errnoCode == EADDRINUSE ? "is in use" : io.errnoCode == EACCES ? "may not be bound by this user" : "is not an address of this host"
        return ConfigurationError(key: "http.addr", message: "one of \(addresses.joined(separator: ", ")) \(reason) (errno \(io.errnoCode))")
    }
}
