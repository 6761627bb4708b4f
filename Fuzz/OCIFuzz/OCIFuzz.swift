#if canImport(Glibc)
import Glibc
#endif
import OCI

/// libFuzzer's entry: the parsers of what clients send (a manifest or index with any media
/// type, digests, references, repository names, tags, globs). Any input must give a value
/// or a typed error, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    OCIFuzz.check(bytes)
    return 0
}

enum OCIFuzz {
    static let contentTypes: [String?] = [
        nil, MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList,
        MediaType.dockerSchema1Signed, "application/json", "text/plain",
    ]

    static func check(_ bytes: [UInt8]) {
        // The first byte picks the content type; the rest is the body.
        let contentType = contentTypes[Int(bytes.first ?? 0) % contentTypes.count]
        if let manifest = try? Manifest.parse(Array(bytes.dropFirst()), contentType: contentType) {
            _ = manifest.requiredBlobs
            _ = manifest.effectiveArtifactType
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let digest = Digest(text) { precondition(Digest(digest.description) == digest) }
        if let reference = Reference(text) { precondition(Reference(reference.description) == reference) }
        if let name = RepositoryName(text) { precondition(RepositoryName(name.value) == name) }
        if let tag = Tag(text) { precondition(Tag(tag.value) == tag) }
        let glob = RepositoryGlob(String(text.prefix(64)))
        _ = glob.matches(String(text.suffix(64)))
    }
}

#if FUZZING
/// libFuzzer's driver, called from this target's own entry point: SwiftPM names the
/// executable's `main` after the module, so libFuzzer's `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@main
struct OCIFuzzDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOCI))
    }
}
#else
/// Without libFuzzer (the ordinary build): runs the corpus files given as arguments, so
/// every kept seed and every past finding is checked again as a regression test.
@main
struct OCIFuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { continue }
            defer { fclose(file) }
            var bytes = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            OCIFuzz.check(bytes)
        }
    }
}
#endif
