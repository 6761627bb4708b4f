import NIOCore

extension ByteBuffer {
    /// This chunk cut to the part of `wanted` it holds, the chunk beginning at byte `start`
    /// of the blob; nil when it holds none of it. A blob streamed from an upstream in the
    /// upstream's chunks answers a client's range this way, whether it is being cached or
    /// passed through.
    func cut(startingAt start: Int64, to wanted: Range<Int64>) -> ByteBuffer? {
        let end = start + Int64(readableBytes)
        guard end > wanted.lowerBound, start < wanted.upperBound else { return nil }
        var chunk = self
        if start < wanted.lowerBound { chunk.moveReaderIndex(forwardBy: Int(wanted.lowerBound - start)) }
        if end > wanted.upperBound { chunk.moveWriterIndex(to: chunk.writerIndex - Int(end - wanted.upperBound)) }
        return chunk
    }
}
