import CTLS
#if canImport(Glibc)
import Glibc
#endif

/// How an `https://` destination is trusted: the system's CAs, plus `caFile` when given; `verify` off
/// (`--urgent-insecure`) accepts any certificate.
public struct TLSOptions: Sendable, Equatable {
    /// A PEM file of CA certificates (or a self-signed server certificate) trusted in addition to the system's.
    public var caFile: String?
    /// Check the certificate chain and that it names the host. Off only for testing.
    public var verify: Bool

    public init(caFile: String? = nil, verify: Bool = true) {
        self.caFile = caFile
        self.verify = verify
    }
}

extension TLSOptions {
    /// Why these options cannot be set up (the CA file is unreadable or holds no certificate); nil when they can.
    public var problem: String? {
        do { _ = try TLSContext(self); return nil } catch let e as TLSSetupError { return e.reason } catch { return "\(error)" }
    }
}

/// An OpenSSL `SSL_CTX` set up from ``TLSOptions``: TLS 1.2 or later, the system trust store, the extra CA file,
/// peer verification on unless told otherwise.
///
/// Set up once, then only read: one context serves every connection of a transport. Creating one checks the
/// CA file, so a bad `--urgent-ca-file` is found at start.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    let options: TLSOptions

    init(_ options: TLSOptions) throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSSetupError(file: nil, reason: TLSContext.lastError()) }
        context = ctx
        self.options = options
        ERR_clear_error()
        _ = ctls_ctx_require_tls12(ctx)
        _ = ctls_ctx_set_write_modes(ctx)
        ctls_ctx_allow_unexpected_eof(ctx)
        // Without a system store (no ca-certificates) only the CA file can verify: not an error by itself.
        _ = SSL_CTX_set_default_verify_paths(ctx)
        if let file = options.caFile {
            guard let f = fopen(file, "r") else { throw TLSSetupError(file: file, reason: String(cString: strerror(errno))) }
            fclose(f)
            ERR_clear_error()
            guard SSL_CTX_load_verify_locations(ctx, file, nil) == 1 else {
                throw TLSSetupError(file: file, reason: TLSContext.lastError())
            }
        }
        SSL_CTX_set_verify(ctx, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
    }

    deinit { SSL_CTX_free(context) }

    /// The reason of the newest OpenSSL error on this thread's queue ("unknown error" when empty); clears it.
    static func lastError() -> String {
        let code = ERR_peek_last_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "unknown error" }
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A TLS context that cannot be set up (an unreadable CA file); the message names the file.
struct TLSSetupError: Error, CustomStringConvertible {
    /// The CA file at fault; nil when OpenSSL itself failed.
    let file: String?
    let reason: String

    var description: String {
        file.map { "cannot load CA certificates from \"\($0)\": \(reason)" } ?? "cannot set up TLS: \(reason)"
    }
}

/// OpenSSL's process-wide state, set up before any thread uses it.
public enum OpenSSLLibrary {
    /// Initialises libssl/libcrypto without their exit-time cleanup: at exit (after `--urgent-drain-timeout`) an
    /// urgent delivery thread may still be inside a TLS handshake, and freeing OpenSSL's global state under it is
    /// the suspected cause of one exit with SIGSEGV (faults/urgent_faults.sh, untrusted certificate). The kernel
    /// frees the memory anyway. Call first thing in the process: only the first initialisation honours the flag.
    public static func prepare() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
        _ = OPENSSL_init_ssl(0, nil)
    }
}
