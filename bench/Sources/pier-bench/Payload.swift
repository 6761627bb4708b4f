import NIOCore
import OCI

/// Random, distinct bytes with their digest, made before timing starts so neither
/// generation nor hashing is measured.
struct Payload: Sendable {
    let buffer: ByteBuffer
    let digest: Digest

    var size: Int { buffer.readableBytes }

    /// A payload of `size` bytes from a fast generator seeded by `seed`; distinct seeds give
    /// distinct content.
    static func make(size: Int, seed: UInt64) -> Payload {
        var generator = WyRand(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { pointer in
            let words = size / 8
            let wordPointer = pointer.bindMemory(to: UInt64.self)
            for i in 0..<words { wordPointer[i] = generator.next() }
            for i in (words * 8)..<size { pointer[i] = UInt8(truncatingIfNeeded: generator.next()) }
            return size
        }
        var hasher = DigestHasher()
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return Payload(buffer: buffer, digest: hasher.finalize())
    }

    /// Small JSON documents (configs) that differ per seed.
    static func json(_ text: String) -> Payload {
        let buffer = ByteBuffer(string: text)
        return Payload(buffer: buffer, digest: Digest.of(Array(text.utf8)))
    }
}

/// wyrand: a tiny, fast, good-enough generator for benchmark payloads.
struct WyRand {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }
}
