/// The server name and ALPN protocols a TLS ClientHello asks for, read from the first
/// record before any TLS handler sees it: an ACME tls-alpn-01 validation handshake has to be
/// told apart from a client's before a certificate is chosen, and swift-nio-ssl's
/// certificate callback sees the server name only.
struct ClientHello: Equatable {
    var serverName: String?
    var protocols: [String]

    enum Reading: Equatable {
        /// The first record has not fully arrived.
        case incomplete
        /// No ClientHello in one record (not TLS, or one too large to be a validator's).
        case other
        case hello(ClientHello)
    }

    /// The largest record read: TLS's limit for plaintext records.
    static let maximumRecord = 16384

    /// Reads the first TLS record of `bytes`.
    static func read(_ bytes: some Collection<UInt8>) -> Reading {
        // The header first: the record is copied only once it has fully arrived.
        let header = Array(bytes.prefix(5))
        guard let first = header.first else { return .incomplete }
        guard first == 0x16 else { return .other }  // a handshake record
        guard header.count == 5 else { return .incomplete }
        let length = Int(header[3]) << 8 | Int(header[4])
        guard length <= maximumRecord else { return .other }
        guard bytes.count >= 5 + length else { return .incomplete }
        var record = Cursor(bytes: Array(bytes.dropFirst(5).prefix(length))[...])
        guard record.byte() == 0x01, let bodyLength = record.integer(3), var cursor = record.take(bodyLength),
              cursor.skip(2 + 32),  // version, random
              let session = cursor.integer(1), cursor.skip(session),
              let suites = cursor.integer(2), cursor.skip(suites),
              let compression = cursor.integer(1), cursor.skip(compression)
        else { return .other }
        var hello = ClientHello(serverName: nil, protocols: [])
        guard let extensionsLength = cursor.integer(2), var extensions = cursor.take(extensionsLength) else {
            return .hello(hello)  // no extensions: neither a name nor protocols
        }
        while let type = extensions.integer(2), let size = extensions.integer(2), var data = extensions.take(size) {
            switch type {
            case 0x0000:  // server_name: a list of (type, name); type 0 is a host name
                guard let listLength = data.integer(2), var list = data.take(listLength) else { return .other }
                while let nameType = list.byte(), let nameLength = list.integer(2), let name = list.take(nameLength) {
                    if nameType == 0 { hello.serverName = String(decoding: name.bytes, as: UTF8.self) }
                }
            case 0x0010:  // application_layer_protocol_negotiation
                guard let listLength = data.integer(2), var list = data.take(listLength) else { return .other }
                while let nameLength = list.integer(1), let name = list.take(nameLength) {
                    hello.protocols.append(String(decoding: name.bytes, as: UTF8.self))
                }
            default:
                break
            }
        }
        return .hello(hello)
    }

    /// Reads big-endian fields off a slice, refusing any read past its end.
    private struct Cursor {
        var bytes: ArraySlice<UInt8>

        mutating func byte() -> UInt8? { bytes.popFirst() }

        mutating func integer(_ width: Int) -> Int? {
            guard bytes.count >= width else { return nil }
            var value = 0
            for _ in 0..<width { value = value << 8 | Int(bytes.removeFirst()) }
            return value
        }

        mutating func skip(_ count: Int) -> Bool {
            guard bytes.count >= count else { return false }
            bytes.removeFirst(count)
            return true
        }

        mutating func take(_ count: Int) -> Cursor? {
            guard bytes.count >= count else { return nil }
            let taken = bytes.prefix(count)
            bytes.removeFirst(count)
            return Cursor(bytes: taken)
        }
    }
}
