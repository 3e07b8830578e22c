import Crypto
import Foundation

/// The workspace's log key: an Ed25519 key in signed-note format that signs every checkpoint.
public enum LogKeys {
    /// A new key named after the log origin, as (private key string, verifier key string).
    public static func generate(origin: String) throws -> (privateKey: String, verifierKey: String)? {
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = [UInt8(0x01)] + Array(key.publicKey.rawRepresentation)
        let hash = Array(SHA256.hash(data: Array(origin.utf8) + [0x0A] + publicKey).prefix(4))
        let hex = Digest.hex(hash)
        let seed = [UInt8(0x01)] + Array(key.rawRepresentation)
        return ("PRIVATE+KEY+\(origin)+\(hex)+\(Data(seed).base64EncodedString())",
                "\(origin)+\(hex)+\(Data(publicKey).base64EncodedString())")
    }
}
