import Crypto

/// Apache's MD5-crypt (`$apr1$salt$hash`), what `htpasswd` writes by default and what
/// nginx's `auth_basic` files usually hold.
///
/// Distribution reads only bcrypt; a team moving basic auth from nginx in front of the
/// registry into Pier brings such a file, and refusing it would lock every user out. It is a
/// weak hash (1,000 rounds of MD5), so users holding one are named at load with the advice to
/// set a bcrypt password, and new passwords are never written this way.
enum ApacheMD5Crypt {
    static let magic = "$apr1$"
    private static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Whether `password` is the one `hash` (`$apr1$salt$…`) was made from.
    static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix(magic) else { return false }
        let rest = hash.dropFirst(magic.count)
        guard let dollar = rest.firstIndex(of: "$") else { return false }
        let computed = Self.hash(Array(password.utf8), salt: Array(rest[..<dollar].utf8.prefix(8)))
        return constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    /// The `$apr1$` string for `password` with `salt` (at most 8 bytes are used).
    static func hash(_ password: [UInt8], salt: [UInt8]) -> String {
        let salt = Array(salt.prefix(8))
        var alternate = Insecure.MD5()
        alternate.update(data: password + salt + password)
        let alternateDigest = Array(alternate.finalize())

        var context = Insecure.MD5()
        context.update(data: password + Array(magic.utf8) + salt)
        var remaining = password.count
        while remaining > 0 {
            context.update(data: alternateDigest.prefix(min(remaining, 16)))
            remaining -= 16
        }
        var bits = password.count
        while bits > 0 {
            context.update(data: bits & 1 == 1 ? [0] : [password.first ?? 0])
            bits >>= 1
        }
        var digest = Array(context.finalize())

        for round in 0..<1000 {
            var next = Insecure.MD5()
            next.update(data: round & 1 == 1 ? password : digest)
            if round % 3 != 0 { next.update(data: salt) }
            if round % 7 != 0 { next.update(data: password) }
            next.update(data: round & 1 == 1 ? digest : password)
            digest = Array(next.finalize())
        }

        var encoded = [UInt8]()
        func append(_ value: UInt32, _ count: Int) {
            var value = value
            for _ in 0..<count {
                encoded.append(alphabet[Int(value & 0x3F)])
                value >>= 6
            }
        }
        for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
            append(UInt32(digest[a]) << 16 | UInt32(digest[b]) << 8 | UInt32(digest[c]), 4)
        }
        append(UInt32(digest[11]), 2)
        return magic + String(decoding: salt, as: UTF8.self) + "$" + String(decoding: encoded, as: UTF8.self)
    }

    /// Compares without stopping at the first difference, so the time taken says nothing
    /// about how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
