#if canImport(Glibc)
import Glibc
#endif

/// Memory mapped and faulted in before a timed phase, for bodies received during it.
///
/// Receiving a 1 GiB body into memory touched for the first time would time the page
/// faults (and, on this VM, the host's faults behind them) rather than the server;
/// `MAP_POPULATE` pays for them up front. Shared between the timed task that fills it and
/// the check that reads it afterwards, never at once.
final class ResidentMemory: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    /// How many bytes a completed download left at the start of `bytes`; nil until then.
    var filled: Int?

    init(count: Int) throws {
        let mapping = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw RegistryClient.Failure(description: "cannot map \(count) bytes for a download: errno \(errno)")
        }
        bytes = UnsafeMutableRawBufferPointer(start: mapping, count: count)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(base, bytes.count) }
    }
}
