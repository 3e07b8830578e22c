/// The workspace's log key: an Ed25519 key in signed-note format that signs every checkpoint.
public enum LogKeys {
    /// A new key named after the log origin, as (private key string, verifier key string).
    public static func generate(origin: String) throws -> (privateKey: String, verifierKey: String)? {
        let generated = try NoteSigner.generate(name: origin)
        return (generated.privateKey, generated.verifierKey)
    }
}
