import FuzzSupport
import S3

/// The S3 store's answers as Pier reads them (listings, multipart uploads, errors): an S3
/// compatible server, or anything in the middle pretending to be one, must not crash or
/// hang the registry, and an object key must survive the escaping of a delete request.
@main
enum S3Fuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
        return 0
    }

    /// The elements Pier reads from S3's answers.
    static let names = [
        "Code", "CommonPrefixes", "Contents", "Initiated", "Key", "LastModified", "Message",
        "NextContinuationToken", "NextUploadIdMarker", "Prefix", "Size", "Upload", "UploadId",
    ]

    static func check(_ text: String) {
        let xml = S3XML(text)
        for name in names {
            _ = xml.value(name)
            for block in xml.blocks(name).prefix(64) {
                _ = block.value("Key")
                _ = block.value("Size")
            }
        }
        // A key with any characters (the input itself) reads back whole from its escape.
        let escaped = "<Key>" + S3XML.escape(text) + "</Key>"
        precondition(S3XML(escaped).value("Key") == text, "an escaped key reads back differently")
    }
}
