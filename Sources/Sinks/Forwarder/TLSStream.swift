import CTLS
#if canImport(Glibc)
import Glibc
#endif

/// A TLS client connection over a connected non-blocking ``PosixSocket``: handshake, then send/receive with the
/// socket's deadlines (OpenSSL's want-read/want-write turn into polls).
///
/// The handshake checks the certificate chain against the ``TLSContext``'s trust and that the certificate names
/// the host (its DNS name, or its IP address for an IP literal); SNI is sent for DNS names. A refused handshake
/// throws `TransportError.failed("TLS handshake with HOST:PORT failed: …")`, a delivery failure like any other.
/// Used by one thread. The process must ignore SIGPIPE (logpipe's main does): OpenSSL writes with write(2).
final class TLSStream: ByteStream {
    private let socket: PosixSocket
    private var ssl: OpaquePointer?
    private let peer: String
    /// False after a fatal error: no close_notify then (OpenSSL forbids SSL_shutdown after one).
    private var healthy = false

    init(socket: PosixSocket, context: TLSContext, host: String, port: Int, deadline: Int64) throws {
        self.socket = socket
        peer = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        guard let ssl = SSL_new(context.context) else {
            throw TransportError.failed("TLS with \(peer): \(TLSContext.lastError())")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, socket.fd)
        if Self.isIPAddress(host) {
            if context.options.verify { X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) }
        } else {
            _ = ctls_set_sni(ssl, host)
            if context.options.verify { SSL_set1_host(ssl, host) }
        }
        try handshake(deadline: deadline)
    }

    deinit { close() }

    /// Runs an OpenSSL call on the non-blocking socket until it returns more than 0, waiting (up to `deadline`)
    /// whenever OpenSSL wants to read or write and retrying an interrupted call. Otherwise returns OpenSSL's error
    /// code and errno as they were, for the caller to judge (nil: success, with the call's result).
    private func until(deadline: Int64, _ call: (OpaquePointer) -> Int32) throws -> (result: Int32, failure: (code: Int32, errno: Int32)?) {
        guard let ssl else { return (0, (SSL_ERROR_ZERO_RETURN, 0)) }
        while true {
            ERR_clear_error()
            let rc = call(ssl)
            if rc > 0 { return (rc, nil) }
            let code = SSL_get_error(ssl, rc), savedErrno = errno
            switch code {
            case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline)
            case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline)
            case SSL_ERROR_SYSCALL where savedErrno == EINTR: continue
            default: return (rc, (code, savedErrno))
            }
        }
    }

    private func handshake(deadline: Int64) throws {
        guard ssl != nil else { throw TransportError.closedWithoutAnswer }
        if let f = try until(deadline: deadline, { SSL_connect($0) }).failure {
            throw TransportError.failed("TLS handshake with \(peer) failed: \(reason(f.code, errno: f.errno))")
        }
        healthy = true
    }

    /// Why a handshake failed: the verification result when the certificate was refused, else OpenSSL's reason.
    private func reason(_ code: Int32, errno savedErrno: Int32) -> String {
        let verify = ssl.map { SSL_get_verify_result($0) } ?? Int(X509_V_OK)
        if verify != Int(X509_V_OK) {
            ERR_clear_error()
            return "certificate verify failed (\(String(cString: X509_verify_cert_error_string(verify))))"
        }
        if code == SSL_ERROR_SYSCALL, ERR_peek_last_error() == 0 {
            return savedErrno == 0 ? "connection closed by the peer" : String(cString: strerror(savedErrno))
        }
        return TLSContext.lastError()
    }

    func send(_ bytes: UnsafeRawBufferPointer, deadline: Int64) throws {
        guard ssl != nil else { throw TransportError.system("send", EPIPE) }
        var off = 0
        while off < bytes.count {
            let left = Int32(min(bytes.count - off, Int(Int32.max)))
            let r = try until(deadline: deadline) { SSL_write($0, bytes.baseAddress! + off, left) }
            guard let f = r.failure else { off += Int(r.result); continue }
            healthy = false
            if f.code == SSL_ERROR_SYSCALL || f.code == SSL_ERROR_ZERO_RETURN {
                ERR_clear_error()
                throw TransportError.system("send", f.errno != 0 && f.code == SSL_ERROR_SYSCALL ? f.errno : EPIPE)
            }
            throw TransportError.failed("TLS write to \(peer) failed: \(TLSContext.lastError())")
        }
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Int64) throws -> Int {
        guard ssl != nil else { return 0 }
        let size = Int32(min(buffer.count, Int(Int32.max)))
        let r = try until(deadline: deadline) { SSL_read($0, buffer.baseAddress!, size) }
        guard let f = r.failure else { return Int(r.result) }
        healthy = false
        switch f.code {
        case SSL_ERROR_ZERO_RETURN: return 0
        case SSL_ERROR_SYSCALL:
            ERR_clear_error()
            if f.errno == 0 { return 0 } // EOF without close_notify
            throw TransportError.system("recv", f.errno)
        default:
            throw TransportError.failed("TLS read from \(peer) failed: \(TLSContext.lastError())")
        }
    }

    /// Stale when application data or a close waits. A readable socket may only hold TLS records that are not
    /// data (TLS 1.3 session tickets): a non-blocking peek consumes those and tells the two apart.
    var isStale: Bool {
        guard let ssl else { return true }
        if SSL_pending(ssl) > 0 { return true }
        guard socket.isStale else { return false }
        var byte: UInt8 = 0
        ERR_clear_error()
        let n = SSL_peek(ssl, &byte, 1)
        if n > 0 { return true }
        let code = SSL_get_error(ssl, n)
        ERR_clear_error()
        return code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE
    }

    /// Sends close_notify if the socket takes it at once (no waiting) and the session is sound, then closes.
    func close() {
        if let ssl {
            ERR_clear_error()
            if healthy { _ = SSL_shutdown(ssl) }
            ERR_clear_error()
            SSL_free(ssl)
            self.ssl = nil
        }
        socket.close()
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
