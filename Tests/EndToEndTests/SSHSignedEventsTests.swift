import Foundation
import HRIAKit
import HRIATestSupport
import Testing

/// A person who publishes an SSH key signs their events with it, from ssh-agent or from their own key folder
/// outside the workspace; the signatures are SSHSIG blobs that OpenSSH checks with no hria code at all.
@Suite("Events signed with the person's own SSH key")
struct SSHSignedEventsTests {
    static let at = "2026-06-01T09:00:00Z"

    /// A workspace whose roster requires signatures and lists for ana the SSH key made in `keyFolder`/ana. In
    /// `.server` mode everyone has a key from the start (docs/TESTING.md): ana's is replaced by the one made here.
    static func workspace(_ name: String, mode: TestWorkspace.Mode = .local) throws -> (TestWorkspace, config: URL, publicKey: String) {
        let ws = try TestWorkspace.initialised(name, mode: mode)
        let config = ws.parent.appendingPathComponent("config")
        let keys = config.appendingPathComponent("hria/keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        if mode == .server {
            for file in ["ana", "ana.pub"] { try FileManager.default.removeItem(at: keys.appendingPathComponent(file)) }
        }
        let made = try OpenSSH.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ana", "-f", keys.appendingPathComponent("ana").path])
        #expect(made.status == 0, "\(made.output)")
        let publicKey = try String(contentsOf: keys.appendingPathComponent("ana.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try ws.admin(["key", "ana", publicKey], at: TestWorkspace.rosterTime)
        try ws.requireSignatures(at: TestWorkspace.rosterTime)
        return (ws, config, publicKey)
    }

    /// Checks event `seq`'s signature with `ssh-keygen -Y verify`, given ana's published key.
    static func openSSHVerifies(_ ws: TestWorkspace, _ id: String, seq: Int, publicKey: String) throws -> Bool {
        let lines = try ws.logLines(id)
        let (message, signature) = try #require(EventLine.signedBytes(of: lines[seq]), "event \(seq) is not signed")
        let blob = try #require(Base64.standard.decode(signature, strict: true))
        let folder = try ws.outside("sshsig-\(seq)")
        try SSHSignature.armored(blob).write(to: folder.appendingPathComponent("sig"), atomically: true, encoding: .utf8)
        try "ana \(publicKey)\n".write(to: folder.appendingPathComponent("allowed"), atomically: true, encoding: .utf8)
        let checked = try OpenSSH.run("ssh-keygen", ["-Y", "verify", "-f", folder.appendingPathComponent("allowed").path, "-I", "ana",
                                                       "-n", "hria-event", "-s", folder.appendingPathComponent("sig").path],
                                                      stdin: String(decoding: message, as: UTF8.self))
        return checked.status == 0
    }

    @Test("signed with the key in the person's own folder; verify and ssh-keygen -Y verify both accept every event")
    func keyFolder() throws {
        let (ws, config, publicKey) = try Self.workspace("hria-sshsig-folder")
        defer { ws.cleanUp() }
        let environment = ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": ""]
        for arguments in [["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], ["comment", "acme", "Signed by Ana."]] {
            let result = try ws.run(arguments, as: "ana", at: Self.at, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try ws.ok(["verify", "acme"])
        for seq in 0..<2 { #expect(try Self.openSSHVerifies(ws, "acme", seq: seq, publicKey: publicKey), "event \(seq)") }
        // No private key material under the workspace.
        let enumerator = FileManager.default.enumerator(atPath: ws.root.path)
        while let name = enumerator?.nextObject() as? String {
            let path = ws.root.appendingPathComponent(name).path
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                #expect(!text.contains("OPENSSH PRIVATE KEY"), "\(name) holds a private key")
            }
        }
    }

    @Test("hria people allowed-signers gives the file ssh-keygen -Y verify checks events with, for hria-event only")
    func allowedSigners() throws {
        let (ws, config, publicKey) = try Self.workspace("hria-sshsig-allowed")
        defer { ws.cleanUp() }
        let made = try ws.run(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at,
                              environment: ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": ""])
        #expect(made.status == 0, "\(made.stderr)")
        let listed = try ws.ok(["people", "allowed-signers"]).stdout
        #expect(listed.contains("\nana namespaces=\"hria-event\" \(publicKey)\n"), "\(listed)")
        #expect(listed.contains("# kofi: no key on the roster\n"), "\(listed)")
        let folder = try ws.outside("allowed")
        let allowed = folder.appendingPathComponent("allowed_signers")
        try listed.write(to: allowed, atomically: true, encoding: .utf8)
        let (message, signature) = try #require(EventLine.signedBytes(of: try ws.logLines("acme")[0]))
        try SSHSignature.armored(try #require(Base64.standard.decode(signature, strict: true)))
            .write(to: folder.appendingPathComponent("sig"), atomically: true, encoding: .utf8)
        func check(_ namespace: String, as person: String) throws -> Int32 {
            try OpenSSH.run("ssh-keygen", ["-Y", "verify", "-f", allowed.path, "-I", person, "-n", namespace,
                                           "-s", folder.appendingPathComponent("sig").path], stdin: String(decoding: message, as: UTF8.self)).status
        }
        #expect(try check("hria-event", as: "ana") == 0)
        #expect(try check("hria-event", as: "kofi") != 0, "the signature is ana's, not kofi's")
        #expect(try check("git", as: "ana") != 0, "the key is allowed for hria-event only")
    }

    @Test("whether signatures were required is said by verify, its JSON and every report")
    func requirementMarked() throws {
        let (ws, config, _) = try Self.workspace("hria-sshsig-marked")
        defer { ws.cleanUp() }
        let environment = ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": ""]
        #expect(try ws.run(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at,
                            environment: environment).status == 0)
        let unsignedNote = "signatures were not required for every event here"
        #expect(!(try ws.ok(["verify", "acme"]).stdout.contains(unsignedNote)))
        #expect(try ws.ok(["report", "acme", "--public", "--format", "md"], at: Self.at).stdout
            .contains("- Who acted: every event is signed by the person who acted"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try ws.ok(["verify", "acme", "--json"]).stdout.utf8)) as? [String: Any])
        #expect(((json["assessments"] as? [[String: Any]])?.first?["signatures_required"] as? Bool) == true)

        try ws.admin(["require-signatures", "off", "--reason", "signing is paused while keys are reissued"])
        // Switching the policy off signs nothing off retroactively: the signed acts still count as signed ...
        #expect(!(try ws.ok(["verify", "acme"]).stdout.contains(unsignedNote)))
        // ... and an unsigned act recorded now is marked everywhere.
        try ws.ok(["comment", "acme", "Unsigned, while signing is paused."], as: "kofi")
        #expect(try ws.ok(["verify", "acme"]).stdout.contains(unsignedNote))
        for format in ["md", "html"] {
            #expect(try ws.ok(["report", "acme", "--public", "--format", format], at: Self.at).stdout.contains("signatures were not required"),
                    "\(format)")
        }
    }

    @Test("without the key (another key in the folder, or none), a workspace that requires signatures records nothing")
    func missingKey() throws {
        let (ws, config, _) = try Self.workspace("hria-sshsig-missing")
        defer { ws.cleanUp() }
        let keys = config.appendingPathComponent("hria/keys")
        try FileManager.default.removeItem(at: keys.appendingPathComponent("ana"))
        let none = try ws.run(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at,
                              environment: ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": ""])
        #expect(none.status == 2 && none.stderr.contains("is neither in ssh-agent nor in their key folder"), "\(none.stderr)")
        // Someone else's key under ana's name is not ana's key.
        try SSHPrivateKey(comment: "not ana").openSSH.write(to: keys.appendingPathComponent("ana"), atomically: true, encoding: .utf8)
        let other = try ws.run(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at,
                               environment: ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": ""])
        #expect(other.status == 2, "\(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.assessment("acme").path), "an assessment was started unsigned")
    }

    @Test("signed through ssh-agent when the key is loaded there, with no key file anywhere hria looks",
          arguments: TestWorkspace.Mode.allCases)
    func throughAgent(mode: TestWorkspace.Mode) throws {
        let (ws, config, publicKey) = try Self.workspace("hria-sshsig-agent", mode: mode)
        defer { ws.cleanUp() }
        // The key moves to the agent; the folder hria reads is left empty.
        let elsewhere = ws.parent.appendingPathComponent("ana-key")
        try FileManager.default.moveItem(at: config.appendingPathComponent("hria/keys/ana"), to: elsewhere)
        let socket = ws.parent.appendingPathComponent("agent.sock").path
        let agent = try OpenSSH.startAgent(socket: socket)
        defer { agent.terminate() }
        #expect(try OpenSSH.run("ssh-add", ["-q", elsewhere.path], environment: ["SSH_AUTH_SOCK": socket]).status == 0)
        let environment = ["XDG_CONFIG_HOME": config.path, "SSH_AUTH_SOCK": socket]
        let result = try ws.run(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at,
                                environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        try ws.ok(["verify", "acme"])
        #expect(try Self.openSSHVerifies(ws, "acme", seq: 0, publicKey: publicKey))
    }
}

