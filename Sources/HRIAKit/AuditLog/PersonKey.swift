/// The key a person signs events with, as published for them: an `ssh-ed25519 AAAA…` line (an SSH key of their
/// own, signatures in SSHSIG form, namespace `hria-event`, checkable with `ssh-keygen -Y verify`), or, in logs
/// written before SSH signatures, a signed-note verifier key `name+hash+base64` with a bare Ed25519 signature.
public enum PersonKey: Sendable {
    case ssh(SSHPublicKey)
    case note(NoteVerifier)

    /// The namespace of every event signature: an SSH signature made for anything else cannot pass for one.
    public static let namespace = "hria-event"

    /// The key a published text names, or nil when it is neither form.
    public init?(published text: String) {
        if text.hasPrefix(SSHPublicKey.algorithm + " ") {
            guard let key = try? SSHPublicKey(authorizedKey: text) else { return nil }
            self = .ssh(key)
        } else {
            guard let verifier = try? NoteVerifier(verifierKey: text) else { return nil }
            self = .note(verifier)
        }
    }

    /// Whether `signature` (the base64 of an event's `sig`) signs `message` (the event's bytes without `sig`).
    public func verifies(_ message: [UInt8], signature: String) -> Bool {
        guard let raw = Base64.standard.decode(signature, strict: true) else { return false }
        switch self {
        case .ssh(let key):
            return (try? SSHSignature.verify(raw, message: message, namespace: Self.namespace, publicKey: key)) != nil
        case .note(let verifier):
            return verifier.verify(message, signature: raw)
        }
    }
}
