import NIOCore

/// Runs a connection's request tasks on the event loop that serves the connection.
///
/// Hummingbird reads each request on an event loop and hands it to a task. On Swift's own
/// thread pool that is a thread switch each way, which on a small request (a manifest, a
/// tag list) costs more than the work itself. Set as the task executor preference of a
/// connection's task (see `EventLoopPinnedChannel`), this executor runs the task, and every
/// child task, on the connection's own loop, whoever resumes it: the channel, the file I/O
/// pool finishing a read, or an S3 response arriving on another loop.
///
/// Staying on the connection's loop also keeps response writes under backpressure. A write
/// from another thread is only queued for the loop, and the writer learns the channel is
/// full only once the loop has caught up, so a fast source (S3 on the same host) could queue
/// tens of megabytes; on the loop, each write sees the channel's writability at once.
///
/// Blocking work stays off the loops as before: file I/O runs on the storage driver's thread
/// pool, bcrypt on NIO's.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
