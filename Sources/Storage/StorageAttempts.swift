/// Failed attempts that a driver retries past, told as they happen to whoever waits on the
/// operation. The storage health check gives up at its interval, which a store's retries
/// can outlast (a store that hangs, then refuses): without this, it could say only that the
/// driver did not answer, where every attempt had been refused for a reason (a connection
/// refused, `SignatureDoesNotMatch`) that the retries' own error would name too late.
public enum StorageAttempts {
    /// Called with why an attempt failed, in the task that made it, before the driver tries
    /// again or gives up; nil (nobody listening) unless a caller binds it around its work.
    @TaskLocal public static var failed: (@Sendable (String) -> Void)?
}
