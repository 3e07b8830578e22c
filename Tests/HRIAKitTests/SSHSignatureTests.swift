import Foundation
@testable import HRIAKit
import HRIATestSupport
import Testing

/// SSH signatures checked against OpenSSH itself: keys ssh-keygen makes are read, signatures hria makes pass
/// `ssh-keygen -Y verify`, and signatures ssh-keygen makes pass hria's check, which refuses every other case.
@Suite("SSH signatures, against OpenSSH's ssh-keygen")
struct SSHSignatureTests {
    static let namespace = "hria-event"

    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hria-sshsig-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func write(_ name: String, _ text: String) throws { try text.write(toFile: path(name), atomically: true, encoding: .utf8) }
        func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path(name))) }
        func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
        func cleanUp() { try? FileManager.default.removeItem(at: url) }
    }

    @discardableResult
    static func sshKeygen(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try OpenSSH.run("ssh-keygen", arguments, stdin: stdin)
    }

    static let message = #"{"actor":"ana","data":{"text":"Reviewed the partner's data-protection terms."},"type":"comment.added"}"#

    @Test("a key ssh-keygen makes is read, with the same public key and fingerprint")
    func readsOpenSSHKeys() throws {
        let folder = try Folder()
        defer { folder.cleanUp() }
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "", "-C", "ana@example.org", "-f", folder.path("ana")])
        let key = try SSHPrivateKey(openSSH: try folder.read("ana"))
        let published = try folder.read("ana.pub").split(separator: " ")
        #expect(key.publicKey.authorizedKey == published.prefix(2).joined(separator: " "))
        #expect(key.comment == "ana@example.org")
        let listed = try Self.sshKeygen(["-l", "-f", folder.path("ana.pub")]).output
        #expect(listed.split(separator: " ").dropFirst().first.map(String.init) == key.publicKey.fingerprint, "\(listed)")
        #expect(try SSHPublicKey(authorizedKey: try folder.read("ana.pub")) == key.publicKey)
    }

    @Test("what hria signs, ssh-keygen -Y verify accepts, for that message, key and namespace only")
    func openSSHVerifiesOurs() throws {
        let folder = try Folder()
        defer { folder.cleanUp() }
        let key = SSHPrivateKey(comment: "ana")
        let blob = try key.sign(Array(Self.message.utf8), namespace: Self.namespace)
        try folder.write("sig", SSHSignature.armored(blob))
        try folder.write("allowed", "ana namespaces=\"\(Self.namespace)\" \(key.publicKey.authorizedKey)\n")
        let verify = ["-Y", "verify", "-f", folder.path("allowed"), "-I", "ana", "-n", Self.namespace, "-s", folder.path("sig")]
        let accepted = try Self.sshKeygen(verify, stdin: Self.message)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(try Self.sshKeygen(verify, stdin: Self.message + " ").status != 0, "a changed message")
        var other = verify
        other[other.firstIndex(of: Self.namespace)!] = "git"
        #expect(try Self.sshKeygen(other, stdin: Self.message).status != 0, "another namespace")
        try folder.write("allowed", "ana \(SSHPrivateKey(comment: "x").publicKey.authorizedKey)\n")
        #expect(try Self.sshKeygen(verify, stdin: Self.message).status != 0, "another person's key")
    }

    @Test("what ssh-keygen -Y sign makes, hria accepts, and says why it refuses anything else")
    func weVerifyOpenSSH() throws {
        let folder = try Folder()
        defer { folder.cleanUp() }
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "", "-C", "ravi", "-f", folder.path("ravi")])
        try folder.write("message", Self.message)
        let signed = try Self.sshKeygen(["-Y", "sign", "-f", folder.path("ravi"), "-n", Self.namespace, folder.path("message")])
        #expect(signed.status == 0, "\(signed.output)")
        let blob = try SSHSignature.dearmored(try folder.read("message.sig"))
        let key = try SSHPublicKey(authorizedKey: try folder.read("ravi.pub"))
        let message = Array(Self.message.utf8)
        try SSHSignature.verify(blob, message: message, namespace: Self.namespace, publicKey: key)
        #expect(throws: SSHSignatureError.badSignature) {
            try SSHSignature.verify(blob, message: message + [0x20], namespace: Self.namespace, publicKey: key)
        }
        #expect(throws: SSHSignatureError.namespace(expected: "git", found: Self.namespace)) {
            try SSHSignature.verify(blob, message: message, namespace: "git", publicKey: key)
        }
        #expect(throws: SSHSignatureError.otherKey) {
            try SSHSignature.verify(blob, message: message, namespace: Self.namespace, publicKey: SSHPrivateKey(comment: "x").publicKey)
        }
        // Cut short anywhere, the blob is refused, never read past its end.
        for end in 0..<blob.count {
            #expect(throws: SSHSignatureError.self) {
                try SSHSignature.verify(Array(blob[..<end]), message: message, namespace: Self.namespace, publicKey: key)
            }
        }
    }

    @Test("a key hria makes is a key OpenSSH reads and signs with, and hria reads it back")
    func openSSHReadsOurKeys() throws {
        let folder = try Folder()
        defer { folder.cleanUp() }
        let key = SSHPrivateKey(comment: "kofi@example.org")
        try folder.write("kofi", key.openSSH)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.path("kofi"))
        let derived = try Self.sshKeygen(["-y", "-f", folder.path("kofi")])
        #expect(derived.status == 0, "\(derived.output)")
        #expect(derived.output.hasPrefix(key.publicKey.authorizedKey), "\(derived.output)")
        let reread = try SSHPrivateKey(openSSH: key.openSSH)
        #expect(reread.publicKey == key.publicKey && reread.comment == key.comment)
        try folder.write("message", Self.message)
        #expect(try Self.sshKeygen(["-Y", "sign", "-f", folder.path("kofi"), "-n", Self.namespace, folder.path("message")]).status == 0)
        try SSHSignature.verify(try SSHSignature.dearmored(try folder.read("message.sig")), message: Array(Self.message.utf8),
                                namespace: Self.namespace, publicKey: key.publicKey)
    }

    @Test("a published key of either form checks its own signatures and no other")
    func publishedKeys() throws {
        let message = Array(Self.message.utf8)
        let ssh = SSHPrivateKey(comment: "ana")
        let sshKey = try #require(PersonKey(published: ssh.publicKey.authorizedKey + " ana"))
        #expect(sshKey.verifies(message, signature: Base64.standard.encode(try ssh.sign(message, namespace: PersonKey.namespace))))
        #expect(!sshKey.verifies(message, signature: Base64.standard.encode(try ssh.sign(message, namespace: "git"))))
        // Older logs: a signed-note key and a bare Ed25519 signature still verify.
        let note = try NoteSigner.generate(name: "ana")
        let noteKey = try #require(PersonKey(published: note.verifierKey))
        #expect(noteKey.verifies(message, signature: Base64.standard.encode(try note.signer.sign(message))))
        #expect(!noteKey.verifies(message + [0x20], signature: Base64.standard.encode(try note.signer.sign(message))))
        #expect(PersonKey(published: "ssh-rsa AAAAB3NzaC1yc2E") == nil && PersonKey(published: "not a key") == nil)
    }

    @Test("a passphrase-protected key is refused with a pointer to ssh-agent")
    func encryptedKeys() throws {
        let folder = try Folder()
        defer { folder.cleanUp() }
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "a passphrase", "-f", folder.path("locked")])
        #expect(throws: SSHSignatureError.unsupported("a passphrase-protected key; load it into ssh-agent instead")) {
            try SSHPrivateKey(openSSH: try folder.read("locked"))
        }
    }
}

/// Signing through a real ssh-agent: the private key stays in the agent.
@Suite("Signing through ssh-agent")
struct SSHAgentTests {
    @Test("the agent lists its Ed25519 keys and signs with one; ssh-keygen -Y verify accepts the signature")
    func signsThroughTheAgent() throws {
        let folder = try SSHSignatureTests.Folder()
        defer { folder.cleanUp() }
        let socket = folder.path("agent.sock")
        let agentProcess = try OpenSSH.startAgent(socket: socket)
        defer { agentProcess.terminate() }
        let key = SSHPrivateKey(comment: "amina@example.org")
        try folder.write("amina", key.openSSH)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.path("amina"))
        let agent = try SSHAgent(environment: ["SSH_AUTH_SOCK": socket])
        #expect(try agent.keys().isEmpty)
        #expect(try OpenSSH.run("ssh-add", ["-q", folder.path("amina")], environment: ["SSH_AUTH_SOCK": socket]).status == 0)
        let held = try agent.keys()
        #expect(held.map(\.key) == [key.publicKey] && held.first?.comment == "amina@example.org")

        let message = Array(SSHSignatureTests.message.utf8)
        let blob = try agent.sign(message, namespace: SSHSignatureTests.namespace, with: key.publicKey)
        try SSHSignature.verify(blob, message: message, namespace: SSHSignatureTests.namespace, publicKey: key.publicKey)
        try folder.write("sig", SSHSignature.armored(blob))
        try folder.write("allowed", "amina \(key.publicKey.authorizedKey)\n")
        let verified = try SSHSignatureTests.sshKeygen(["-Y", "verify", "-f", folder.path("allowed"), "-I", "amina", "-n",
                                                        SSHSignatureTests.namespace, "-s", folder.path("sig")], stdin: SSHSignatureTests.message)
        #expect(verified.status == 0, "\(verified.output)")

        // A key the agent does not hold: the agent refuses, and nothing is signed.
        #expect(throws: SSHAgent.Failure.refused) {
            try agent.sign(message, namespace: SSHSignatureTests.namespace, with: SSHPrivateKey(comment: "x").publicKey)
        }
    }

    @Test("without an agent, the error says so")
    func noAgent() throws {
        #expect(throws: SSHAgent.Failure.noAgent) { try SSHAgent(environment: [:]) }
        let missing = SSHAgent(socketPath: "/nonexistent/agent.sock")
        #expect(throws: SSHAgent.Failure.self) { try missing.keys() }
    }
}
