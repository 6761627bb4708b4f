#if canImport(Glibc)
import Glibc
#endif

/// Makes free memory resident just before a timed write, so a write measures the server
/// rather than the hypervisor.
///
/// A virtual machine that hands free pages back to its host (virtio-balloon free page
/// reporting, as here) makes the first write into each such page a host fault. Buffered
/// writes go into fresh page-cache pages, so on this machine they ran at ~400 MB/s for every
/// server, nginx included, whatever the server did — against over 1 GB/s once those pages
/// were resident. Touching and freeing a few GiB right before the timed phase puts resident
/// pages at the head of the kernel's free lists (reported pages go to their tail), where the
/// page cache takes them from; every server and nginx get the same treatment.
enum MemoryWarmer {
    static func warm(bytes: Int) {
        guard bytes > 0 else { return }
        let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapping, mapping != MAP_FAILED else { return }
        memset(mapping, 1, bytes)
        munmap(mapping, bytes)
    }
}
