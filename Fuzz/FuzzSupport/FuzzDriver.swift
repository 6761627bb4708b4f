#if canImport(Glibc)
import Glibc
#endif

/// What every fuzz target runs as its `main`: under `-DFUZZING` (the `-sanitize=fuzzer`
/// build of `scripts/fuzz.sh`) libFuzzer's driver, otherwise a replay of the corpus files
/// given as arguments, so the ordinary build checks every kept seed and past finding as a
/// regression test. One driver, so each target is only its checks.
public enum FuzzDriver {
    /// The shape libFuzzer calls: one input, 0 to keep going.
    public typealias Check = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

    /// Runs `check` under libFuzzer or over the corpus, and exits with their status.
    public static func run(_ check: Check) -> Never {
        #if FUZZING
        currentCheck = check
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, check))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = read(path) else {
                // A corpus that is not there must fail the replay, not pass it empty.
                print("cannot read \(path)")
                exit(2)
            }
            // An empty file is an empty input; the byte added only gives it an address.
            let count = bytes.count
            (bytes.isEmpty ? [0] : bytes).withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { _ = check(base, count) }
            }
        }
        exit(0)
        #endif
    }

    /// A whole file's bytes; nil when it cannot be opened.
    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }
}

#if FUZZING
/// The target's check, for the entry point libFuzzer's runtime links against. Set once
/// before the driver starts; libFuzzer calls from a single thread.
nonisolated(unsafe) private var currentCheck: FuzzDriver.Check?

/// The symbol libFuzzer's runtime requires at link time; the driver below is handed the
/// same check directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    currentCheck?(data, size) ?? 0
}

/// libFuzzer's driver, called from the target's own entry point: SwiftPM names an
/// executable's `main` after its module, so libFuzzer's `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
#endif
