#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
public import NIOCore
import NIOPosix

/// Sends a blob's file over an HTTP/1.1 TLS connection from the event loop: reads what the
/// page cache holds straight into one reused buffer and hands it to the TLS handler below,
/// as nginx serves files over TLS.
///
/// `sendfile` cannot work under TLS (the bytes must be encrypted in this process), and
/// streaming the file through the request task cost a thread hop per chunk, a fresh buffer
/// per chunk and buffers too large for the cache: 1 GiB pulls ran at half the reference's
/// rate and twice its CPU per GiB (`docs/performance.md`). Here a chunk costs no hop and no
/// allocation while the file is cached; a read that would wait for the disk
/// (``pier_pread_cached`` says so) goes to a thread pool, so the loop never blocks on it.
/// It sits right above the TLS handler, below the HTTP encoder, which it bypasses safely:
/// blob responses are framed by `Content-Length`.
public final class EncryptedFileBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// Decrypted bytes from the TLS handler, passed on untouched.
    public typealias InboundIn = ByteBuffer
    /// What it passes on inbound: the same bytes.
    public typealias InboundOut = ByteBuffer
    /// The HTTP encoder's bytes, passed on untouched.
    public typealias OutboundIn = IOData
    /// What it writes toward the TLS handler: those bytes and the file's.
    public typealias OutboundOut = IOData

    /// The event a request task triggers on its channel; completes once the bytes are written.
    struct Request: Sendable {
        let path: String
        let start: Int64
        let end: Int64
    }

    /// Small enough to stay in the core's cache between the read, the encryption and the
    /// socket write, and below the allocator's mmap threshold for the TLS handler's output.
    static let chunkSize = 128 * 1024

    private struct Transfer {
        let id: Int
        let fd: Int32
        var offset: Int64
        let end: Int64
        let promise: EventLoopPromise<Void>?
        /// A chunk is being read on the thread pool; the loop waits for it.
        var reading = false
    }

    private var transfer: Transfer?
    private var transfers = 0
    private var buffer: ByteBuffer?

    /// A handler with no transfer; one per connection.
    public init() {}

    /// Starts a ``Request``; passes every other event on.
    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? Request else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard transfer == nil else {
            promise?.fail(BlobSender.Failure(description: "a blob is already being sent on this connection"))
            return
        }
        let fd = open(request.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            promise?.fail(BlobSender.Failure(description: "cannot open the blob's file: errno \(errno)"))
            return
        }
        transfers += 1
        transfer = Transfer(id: transfers, fd: fd, offset: request.start, end: request.end, promise: promise)
        pump(context: context)
    }

    /// Goes on with a transfer the socket had paused.
    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if context.channel.isWritable { pump(context: context) }
    }

    /// Ends a transfer the client left: its task learns it at once.
    public func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }

    /// Ends a transfer still going when the pipeline is torn down.
    public func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
    }

    /// Sends chunks while the socket takes them; stops at the high watermark and goes on
    /// when the channel is writable again.
    private func pump(context: ChannelHandlerContext) {
        while let current = transfer, !current.reading, context.channel.isWritable {
            guard current.offset < current.end else {
                // Every chunk is written or queued; a flush with a promise says when the last is out.
                let done = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: done)
                transfer = nil
                done.futureResult.whenComplete { [fd = current.fd] result in
                    Glibc.close(fd)
                    current.promise?.completeWith(result)
                }
                return
            }
            let want = Int(min(Int64(Self.chunkSize), current.end - current.offset))
            var chunk = buffer ?? context.channel.allocator.buffer(capacity: Self.chunkSize)
            buffer = nil
            chunk.clear()
            var failure: Int32 = 0
            chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
                let n = pier_pread_cached(current.fd, pointer.baseAddress, want, off_t(current.offset))
                if n < 0 { failure = errno }
                return max(n, 0)
            }
            if chunk.readableBytes > 0 {
                send(chunk, context: context)
            } else if failure == EAGAIN || failure == EINTR {
                readOnPool(want: want, context: context)
            } else {
                let reason = failure == 0 ? "the blob's file ended early" : "cannot read the blob's file: errno \(failure)"
                finish(.failure(BlobSender.Failure(description: reason)))
                context.close(promise: nil)
            }
        }
    }

    /// Writes a chunk and keeps its buffer for the next: the TLS handler encrypts on flush
    /// and lets go of it, so the next chunk is read into the same memory.
    private func send(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        transfer?.offset += Int64(chunk.readableBytes)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(chunk)), promise: nil)
        buffer = chunk
    }

    /// Reads a chunk the page cache does not hold on a thread pool, then goes on here.
    private func readOnPool(want: Int, context: ChannelHandlerContext) {
        guard let current = transfer else { return }
        transfer?.reading = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { [fd = current.fd, offset = current.offset] in
            var chunk = ByteBufferAllocator().buffer(capacity: want)
            var failure: Int32 = 0
            chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
                var n: Int
                repeat { n = pread(fd, pointer.baseAddress, want, off_t(offset)) } while n < 0 && errno == EINTR
                if n < 0 { failure = errno }
                return max(n, 0)
            }
            if chunk.readableBytes == 0 {
                let reason = failure == 0 ? "the blob's file ended early" : "cannot read the blob's file: errno \(failure)"
                throw BlobSender.Failure(description: reason)
            }
            return chunk
        }.whenComplete { result in
            let (handler, context) = loopBound.value
            guard handler.transfer?.id == current.id else {
                Glibc.close(current.fd)  // the transfer ended while this read was out
                return
            }
            handler.transfer?.reading = false
            switch result {
            case .success(let chunk):
                handler.send(chunk, context: context)
                handler.pump(context: context)
            case .failure(let error):
                handler.finish(.failure(error))
                context.close(promise: nil)
            }
        }
    }

    /// Ends the current transfer early; its file is closed now, or by a read still out.
    private func finish(_ result: Result<Void, any Error>) {
        guard let current = transfer else { return }
        transfer = nil
        if !current.reading { Glibc.close(current.fd) }
        current.promise?.completeWith(result)
    }
}
