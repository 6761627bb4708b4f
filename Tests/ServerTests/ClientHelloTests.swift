import Testing
@testable import Server

@Suite struct ClientHelloTests {
    /// A TLS 1.2-style ClientHello record with the given server name and ALPN protocols.
    static func record(serverName: String?, protocols: [String], extra: [UInt8] = []) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
        var extensions = [UInt8]()
        if let serverName {
            let name = Array(serverName.utf8)
            let entry = [0] + u16(name.count) + name
            extensions += u16(0x0000) + u16(entry.count + 2) + u16(entry.count) + entry
        }
        if !protocols.isEmpty {
            let list = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            extensions += u16(0x0010) + u16(list.count + 2) + u16(list.count) + list
        }
        extensions += extra
        let body = u16(0x0303) + [UInt8](repeating: 7, count: 32) + [0] + u16(2) + [0x13, 0x01] + [1, 0] + u16(extensions.count) + extensions
        let handshake = [0x01, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 0x03, 0x01] + u16(handshake.count) + handshake
    }

    @Test func readsTheServerNameAndProtocolsOfAValidationHandshake() {
        let bytes = Self.record(serverName: "registry.example.com", protocols: ["acme-tls/1"], extra: [0x00, 0x17, 0x00, 0x00])
        #expect(ClientHello.read(bytes) == .hello(ClientHello(serverName: "registry.example.com", protocols: ["acme-tls/1"])))
    }

    @Test func aRecordCutShortIsIncompleteAndAnythingElseIsOther() {
        let bytes = Self.record(serverName: "a", protocols: ["h2", "http/1.1"])
        #expect(ClientHello.read(bytes.prefix(3)) == .incomplete)
        #expect(ClientHello.read(bytes.dropLast()) == .incomplete)
        #expect(ClientHello.read(Array("GET / HTTP/1.1\r\n".utf8)) == .other)
        #expect(ClientHello.read([0x16, 0x03, 0x01, 0xFF, 0xFF]) == .other)  // longer than a record may be
        #expect(ClientHello.read([UInt8]()) == .incomplete)
    }

    @Test func lengthsThatPointPastTheRecordAreOtherNeverACrash() {
        var bytes = Self.record(serverName: "a", protocols: ["acme-tls/1"])
        for index in 5..<bytes.count {
            var broken = bytes
            broken[index] = 0xFF
            _ = ClientHello.read(broken)
        }
        bytes[5] = 0x02  // a ServerHello, not a ClientHello
        #expect(ClientHello.read(bytes) == .other)
        #expect(ClientHello.read(Self.record(serverName: nil, protocols: [])) == .hello(ClientHello(serverName: nil, protocols: [])))
    }
}
