import NIOSSL

/// TLS for a network input (`tls://`, `https://` inputs): the server's certificate chain and key (PEM files), and
/// optionally the CA that client certificates must chain to. With a client CA, a client without a certificate or
/// with one the CA did not sign fails the handshake (counted as `tls_handshake`). TLS 1.2 is the minimum.
///
/// The files are read once, when the input is built: a missing or unreadable file fails the run at start.
public struct TLSServerOptions: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String
    public var clientCAPath: String?

    public init(certificatePath: String, keyPath: String, clientCAPath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.clientCAPath = clientCAPath
    }

    /// The context every connection's handshake uses.
    public func makeContext() throws -> NIOSSLContext {
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        } catch { throw NetworkInputError.tls("cannot read the certificate \"\(certificatePath)\": \(error)") }
        do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
            throw NetworkInputError.tls("cannot read the private key \"\(keyPath)\": \(error)")
        }
        var configuration: TLSConfiguration
        if let ca = clientCAPath {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(ca) } catch {
                throw NetworkInputError.tls("cannot read the client CA \"\(ca)\": \(error)")
            }
            configuration = .makeServerConfigurationWithMTLS(certificateChain: chain, privateKey: .privateKey(key),
                                                             trustRoots: .certificates(roots))
            configuration.sendCANameList = true
        } else {
            configuration = .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        }
        configuration.minimumTLSVersion = .tlsv12
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw NetworkInputError.tls("the certificate \"\(certificatePath)\" and key \"\(keyPath)\" do not make a TLS context: \(error)")
        }
    }
}
