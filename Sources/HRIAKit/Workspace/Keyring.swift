import Foundation

/// The personal signing keys kept on this machine: `.hria/keys/PERSON.key`, mode 0600 in a 0700 folder. The
/// command line asks the keyring; it never builds a key path itself.
public struct Keyring: Sendable {
    public let folder: String
    let fs: any FileSystem

    /// Where a person's private key lives.
    public func path(of person: String) -> String { "\(folder)/\(person).key" }

    /// A person id names a file here: nothing that could step out of the folder.
    func checkName(_ person: String) throws(HRIAError) {
        guard !person.isEmpty, !person.hasPrefix("."), !person.contains("/"), !person.contains("\0") else {
            throw .badInput("\"\(DisplayText.escape(person))\" cannot name a key file")
        }
    }

    /// The person's signer, or nil when this machine holds no key for them.
    public func signer(of person: String) throws(HRIAError) -> NoteSigner? {
        try checkName(person)
        guard let bytes = try? fs.readAll(path(of: person)) else { return nil }
        do {
            return try NoteSigner(privateKey: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw .badInput(".hria/keys/\(person).key is not a valid private key: \(error)")
        }
    }

    /// Makes a person's Ed25519 key and stores its private part durably; refused when they already have one.
    public func make(for person: String) throws(HRIAError) -> NoteSigner {
        try checkName(person)
        let path = path(of: person)
        if fs.fileExists(path) {
            throw .badInput("\(person) already has a key in .hria/keys/; show it with hria keys show \(person)")
        }
        do {
            let generated = try NoteSigner.generate(name: person)
            try fs.makeDirectory((folder as NSString).deletingLastPathComponent, mode: 0o700)
            try fs.makeDirectory(folder, mode: 0o700)
            try DurableFile.write(Array((generated.privateKey + "\n").utf8), to: path, fs: fs, mode: 0o600)
            return generated.signer
        } catch {
            throw HRIAError(.internalError, "could not store the key of \(person): \(error)")
        }
    }
}

extension Workspace {
    public var keyring: Keyring { Keyring(folder: Paths.join(privateFolder, "keys"), fs: fs) }
}

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

    /// The person's key, or nil when the folder has none for them.
    public func key(of person: String) throws(HRIAError) -> SSHPrivateKey? {
        guard !person.isEmpty, !person.hasPrefix("."), !person.contains("/") else {
            throw .badInput("\"\(DisplayText.escape(person))\" cannot name a key file")
        }
        let path = Paths.join(folder, person)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try InputFile.read(path, displayName: path, limit: 64 * 1024).bytes
        do {
            return try SSHPrivateKey(openSSH: String(decoding: text, as: UTF8.self))
        } catch {
            throw .badInput("\(path) is not a usable key: \(error)")
        }
    }
}
