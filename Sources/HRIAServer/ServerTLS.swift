import HRIAKit
import HummingbirdTLS
import NIOSSL

extension ServerSettings {
    /// The server's own TLS, from its certificate chain and key files; nil for plain HTTP. Read once at start, so
    /// that a missing, unreadable or mismatched file stops the server with exit 2 before it listens.
    func tlsConfiguration() throws(HRIAError) -> TLSConfiguration? {
        guard let certificatePath = tlsCertificate, let keyPath = tlsKey else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .badInput("TLS certificate \(DisplayText.escape(certificatePath)): cannot be read as PEM certificates (\(error))",
                            help: "give the certificate chain in PEM, the server's own certificate first")
        }
        guard !chain.isEmpty else {
            throw .badInput("TLS certificate \(DisplayText.escape(certificatePath)) holds no certificate", help: "give the certificate chain in PEM")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw .badInput("TLS key \(DisplayText.escape(keyPath)): cannot be read as a PEM private key (\(error))",
                            help: "give the certificate's private key, unencrypted, in PEM; keep the file readable by the server only")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            // Made once here so that a key that does not belong to the certificate is found now, not at the first handshake.
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .badInput("TLS: the key \(DisplayText.escape(keyPath)) and the certificate \(DisplayText.escape(certificatePath)) do not go together (\(error))")
        }
        return configuration
    }
}
