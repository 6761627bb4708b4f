/// How control of a host is proved (RFC 8555 §8): http-01 needs the plain listener, reached
/// on port 80; tls-alpn-01 (RFC 8737) only the TLS listener, reached on port 443, which is
/// distribution's way. The listeners decide which a registry can answer, and the order says
/// which is tried first.
public enum ACMEChallenge: String, Sendable {
    case http01 = "http-01"
    case tlsALPN01 = "tls-alpn-01"
}
