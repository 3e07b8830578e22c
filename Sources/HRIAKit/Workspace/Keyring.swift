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
