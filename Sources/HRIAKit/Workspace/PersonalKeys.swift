import Foundation

/// A person's own SSH keys, outside every workspace: `${XDG_CONFIG_HOME:-~/.config}/hria/keys/PERSON`, an
/// unencrypted OpenSSH private key readable only by its owner. (A passphrase-protected key is used through
/// ssh-agent instead.)
public struct PersonalKeys: Sendable {
    public let folder: String

    public init(environment: [String: String]) {
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Paths.join(environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path, ".config")
        folder = Paths.join(config, "hria", "keys")
    }

    /// A person id names a key file: nothing that could step out of the folder.
    static func checkName(_ person: String) throws(HRIAError) {
        guard !person.isEmpty, !person.hasPrefix("."), !person.contains("/"), !person.contains("\0") else {
            throw .badInput("\"\(DisplayText.escape(person))\" cannot name a key file")
        }
    }

    private func path(of person: String) throws(HRIAError) -> String {
        try Self.checkName(person)
        return Paths.join(folder, person)
    }

    /// The person's key, or nil when the folder has none for them.
    public func key(of person: String) throws(HRIAError) -> SSHPrivateKey? {
        let path = try path(of: person)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try InputFile.read(path, displayName: path, limit: 64 * 1024).bytes
        do {
            return try SSHPrivateKey(openSSH: String(decoding: text, as: UTF8.self))
        } catch {
            throw .badInput("\(path) is not a usable key: \(error)")
        }
    }

    /// Whether this user can sign as `person` with `publicKey` (an `ssh-ed25519 AAAA…` line): ssh-agent holds it,
    /// or the person's key file here is its private half.
    public func canSign(as person: String, with publicKey: String, environment: [String: String]) -> Bool {
        canSign(as: person, with: publicKey, agentKeys: (try? SSHAgent(environment: environment))?.keysOrEmpty() ?? [])
    }

    /// The same, given the keys ssh-agent holds (asked once by a caller that checks several people).
    func canSign(as person: String, with publicKey: String, agentKeys: [SSHPublicKey]) -> Bool {
        guard let key = try? SSHPublicKey(authorizedKey: publicKey) else { return false }
        return agentKeys.contains(key) || ((try? self.key(of: person)) ?? nil)?.publicKey == key
    }

    /// Makes an Ed25519 key for `person`: the private key (0600) and `PERSON.pub` in a folder only its owner can
    /// open; refused when they already have one.
    public func make(for person: String) throws(HRIAError) -> SSHPrivateKey {
        let path = try path(of: person)
        if FileManager.default.fileExists(atPath: path) {
            throw .badInput("\(person) already has a key in \(folder); show it with hria keys show \(person)")
        }
        let key = SSHPrivateKey(comment: person)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let fs = PosixFileSystem()
            try fs.changePermissions(folder, to: 0o700)
            try DurableFile.write(Array(key.openSSH.utf8), to: path, fs: fs, mode: 0o600)
            try DurableFile.write(Array((key.publicKey.authorizedKey + " \(person)\n").utf8), to: path + ".pub", fs: fs, mode: 0o644)
        } catch {
            throw HRIAError(.internalError, "could not store the key of \(person) in \(folder): \(error)")
        }
        return key
    }
}
