import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import HRIAKit
@testable import HRIAServer
import Testing

/// Starting assessments, evidence with its file, and erasure through `hria serve`: each prints and exits as on the
/// workspace, every event is signed on the person's machine, and an upload never leaves a file behind.
@Suite("hria serve: writing through the server")
struct ServerWriteTests {
    /// A workflow whose measures have a lifecycle, so that evidence can be updated with a file.
    static let tracked = """
    schema: hria.workflow/v1
    id: tracked
    version: 1
    title: Measures followed up through a server
    roles:
      requester: { description: Runs it }
    evidence_types:
      measure:
        fields: { measure: text, status: 'enum(planned|done)' }
        closed_statuses: [done]
    initial: planning
    stages:
      planning:
        owner: requester
        requires:
          - { id: measures, type: measure }
        transitions: [ { to: closed } ]
      closed: { terminal: true, outcome: closed }

    """

    /// The fixture served as ServerAPITests serves it, with `tracked` among its workflows, the server's temporary
    /// files in a folder of the test's own (to see that none is left), and `arguments` for the server.
    static func serving(_ name: String, _ arguments: [String] = []) throws -> (TestWorkspace, RunningServer, URL) {
        let ws = try AuditFixture.copy(name)
        try ws.publishKey("ana")
        try ws.publishKey("amina")
        try tracked.write(to: ws.root.appendingPathComponent("workflows/tracked.yaml"), atomically: true, encoding: .utf8)
        let serverHome = ws.parent.appendingPathComponent("server-home"), temporary = ws.parent.appendingPathComponent("server-tmp")
        for folder in [serverHome, temporary] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let server = try RunningServer(in: ws.root, arguments,
                                       environment: ["XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": "", "TMPDIR": temporary.path])
        return (ws, server, temporary)
    }

    static func leftovers(_ temporary: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasPrefix("hria-upload-") }
    }

    @Test("new, evidence add and update with files, and erase through the server print and exit as locally; the events are the person's")
    func sameAsLocal() throws {
        let (ws, server, temporary) = try Self.serving("hria-write-same")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let twinParent = try HRIA.temporaryDirectory("hria-write-twin")
        let twin = TestWorkspace(parent: twinParent, root: twinParent.appendingPathComponent("ws"), assessmentID: AuditFixture.id)
        defer { twin.cleanUp() }
        try Files.copyTree(ws.root, to: twin.root)
        try Files.copyTree(ws.parent.appendingPathComponent("config"), to: twinParent.appendingPathComponent("config"))
        // The files, where each side runs: the client in the workspace's parent folder, the twin in its workspace.
        for folder in [ws.parent, twin.root] {
            try "Plan: encrypt the messaging service end to end.\n".write(to: folder.appendingPathComponent("plan.txt"), atomically: true, encoding: .utf8)
            try Data((0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
                .write(to: folder.appendingPathComponent("audit report.bin"))
        }
        let disclosures = try JSONSerialization.jsonObject(with: Data(try ws.ok(["disclosures", "demo", "--json"]).stdout.utf8)) as? [[String: Any]]
        let digest = try #require(disclosures?.first { $0["state"] as? String == "kept" }?["digest"] as? String)

        let steps: [(String, [String])] = [
            ("ana", ["new", "t1", "--workflow", "tracked", "--partner", "Acme", "--title", "Through a server"]),
            ("ana", ["new", "t1", "--workflow", "tracked", "--partner", "Acme"]),
            ("ana", ["new", "t1", "--workflow", "nosuch", "--partner", "Acme"]),
            ("ana", ["new", "Bad_ID", "--workflow", "tracked", "--partner", "Acme"]),
            ("amina", ["new", "t2", "--workflow", "tracked", "--partner", "Acme"]),
            ("ana", ["evidence", "add", "t1", "measures", "--field", "measure=Encrypt", "--field", "status=planned", "--file", "plan.txt"]),
            ("ana", ["evidence", "add", "t1", "measures", "--field", "measure=Train staff", "--field", "status=planned"]),
            ("ana", ["evidence", "update", "t1", "#1", "--field", "status=done", "--file", "audit report.bin", "--note", "audited"]),
            ("ana", ["evidence", "update", "t1", "#2", "--field", "status=finished"]),
            ("ana", ["evidence", "add", "t1", "measures", "--field", "measure=x", "--file", "missing.txt"]),
            ("ana", ["evidence", "add", "demo", "talks", "--field", "group=Elders", "--confidential", "participants=A. B.",
                     "--confidential", "statement=We were heard."]),
            ("ana", ["erase", "demo", digest, "--reason", "asked by the person"]),
            ("ana", ["erase", "demo", digest, "--reason", "again"]),
            ("ana", ["erase", "demo", "not-a-digest", "--reason", "x"]),
        ]
        var outputs: [String] = []
        for (person, step) in steps {
            let through = try ServerAPITests.remote(ws, server, step, as: person)
            let local = try twin.run(step, as: person)
            outputs.append("\(through.status) \(through.stdout)\(through.stderr)")
            #expect(through.status == local.status, "\(step): \(through.status) vs \(local.status)\n\(through.stderr)\n\(local.stderr)")
            #expect(ServerAPITests.timeless(through.stdout) == ServerAPITests.timeless(local.stdout), "\(step)")
            #expect(through.stderr == local.stderr, "\(step)")
        }
        // What each step said, so that equality above is not the equality of two failures.
        #expect(outputs[0].hasPrefix("0 started t1: tracked version 1"), "\(outputs[0])")
        #expect(outputs[1] == "2 hria: assessment t1 already exists\n", "\(outputs[1])")
        #expect(outputs[2].hasPrefix("2 hria: unknown workflow"), "\(outputs[2])")
        #expect(outputs[3].hasPrefix("2 hria: \"Bad_ID\" is not a valid assessment id"), "\(outputs[3])")
        #expect(outputs[5].hasPrefix("0 recorded #1: evidence measures, file sha256 "), "\(outputs[5])")
        #expect(outputs[7].hasPrefix("0 recorded #3: evidence #1 updated, status = done, file sha256 "), "\(outputs[7])")
        #expect(outputs[9].hasPrefix("2 hria: cannot read missing.txt"), "\(outputs[9])")
        #expect(outputs[10].contains("2 confidential values kept in private/"), "\(outputs[10])")
        #expect(outputs[11].hasPrefix("0 recorded #7: erased the confidential value"), "\(outputs[11])")
        #expect(outputs[12].hasPrefix("2 hria: the value with digest"), "\(outputs[12])")
        #expect(outputs[13].hasPrefix("2 hria: \"not-a-digest\" is not a disclosure digest"), "\(outputs[13])")

        // The same events, each signed by the person who acted; the files are the ones sent; the plaintext is gone.
        for id in ["t1", "demo"] {
            let remoteEvents = try ws.events(id), localEvents = try twin.events(id)
            #expect(remoteEvents.count == localEvents.count, "\(id)")
            for (a, b) in zip(remoteEvents, localEvents) {
                #expect(a["type"] as? String == b["type"] as? String && a["actor"] as? String == b["actor"] as? String)
            }
        }
        for event in try ws.events("t1") { #expect(event["sig"] is String, "\(event)") }
        for event in try ws.events("demo").dropFirst(AuditFixture.eventCount) { #expect(event["sig"] is String, "\(event)") }
        let evidence = ws.root.appendingPathComponent("assessments/t1/evidence/sha256")
        let kept = try FileManager.default.contentsOfDirectory(atPath: evidence.path).sorted()
        let expected = try ["plan.txt", "audit report.bin"].map { HRIAKit.Digest.sha256Hex(Array(try Data(contentsOf: ws.parent.appendingPathComponent($0)))) }.sorted()
        #expect(kept.map { String($0.prefix(64)) } == expected, "\(kept)")
        #expect(try ws.ok(["disclosures", "demo"]).stdout.contains("erased"))
        try ws.ok(["verify", "--all"])
        #expect(Self.leftovers(temporary).isEmpty, "\(Self.leftovers(temporary))")
        #expect(Files.all(under: ws.parent.appendingPathComponent("server-home")).isEmpty)
    }

    /// An upload's body, and the headers that sign it as `person` with `key`.
    static func upload(_ command: String, file: [UInt8], as person: String, key: SSHPrivateKey, id: String = "demo") throws
        -> (path: String, body: [UInt8], headers: [String: String]) {
        let path = "/api/v1/assessments/\(id)/evidence/prepare"
        let body = Array(command.utf8) + [0x0A] + file
        let signed = try RequestSignature.sign(method: "POST", path: path, query: "", body: body, keyid: person,
                                               created: Int(Date().timeIntervalSince1970), nonce: UUID().uuidString) { try key.signRaw($0) }
        return (path, body, Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) }))
    }

    static func command(_ file: [UInt8], name: String = "brief.txt") -> String {
        #"{"command":"evidence-add","requirement":"brief","fields":[["title","T"]],"file":{"name":"\#(name)","size":\#(file.count),"sha256":"\#(HRIAKit.Digest.sha256Hex(file))"}}"#
    }

    @Test("an upload past max_upload_bytes is 413; hostile uploads are 4xx; none records anything or leaves a file")
    func hostileUploads() throws {
        let (ws, server, temporary) = try Self.serving("hria-write-hostile", ["--max-upload-bytes", "4096"])
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        let before = try ws.events("demo").count
        try Data(repeating: 0x41, count: 10_000).write(to: ws.parent.appendingPathComponent("big.txt"))
        let big = try ServerAPITests.remote(ws, server, ["evidence", "add", "demo", "brief", "--field", "title=Big", "--file", "big.txt"], as: "ana")
        #expect(big.status == 2 && big.stderr.contains("larger than this server takes (4096 bytes"), "\(big.stderr)")

        func send(_ upload: (path: String, body: [UInt8], headers: [String: String])) throws -> RunningServer.Reply {
            try server.request("POST", upload.path, body: Data(upload.body), headers: upload.headers)
        }
        let small = Array("a small brief\n".utf8)
        // Past the cap: declared, and (the same bytes) whatever is declared.
        #expect(try send(try Self.upload(Self.command(small), file: [UInt8](repeating: 1, count: 5000), as: "ana", key: ana)).status == 413)
        // Not JSON; no line feed at all; JSON naming no file; a file other than the one named; a path for a name.
        let notJSON = try send(try Self.upload("not json", file: small, as: "ana", key: ana))
        #expect(notJSON.status == 400 && notJSON.text.contains("one line of JSON"), "\(notJSON.text)")
        var noLine = try Self.upload("", file: [], as: "ana", key: ana)
        noLine.body = Array(#"{"command":"comment","text":"x"}"#.utf8)
        noLine.headers = Dictionary(uniqueKeysWithValues: try RequestSignature.sign(method: "POST", path: noLine.path, query: "", body: noLine.body, keyid: "ana",
                                                                                    created: Int(Date().timeIntervalSince1970), nonce: UUID().uuidString) { try ana.signRaw($0) }
            .map { ($0.name, $0.value) })
        #expect(try send(noLine).status == 400)
        #expect(try send(try Self.upload(#"{"command":"comment","text":"x"}"#, file: small, as: "ana", key: ana)).status == 400)
        let other = try send(try Self.upload(Self.command(Array("another".utf8)), file: small, as: "ana", key: ana))
        #expect(other.status == 422 && other.text.contains("not the one the command names"), "\(other.text)")
        for name in ["../../etc/passwd", "a/b", "..", "", "line\nbreak"] {
            let tricked = try send(try Self.upload(Self.command(small, name: name.replacingOccurrences(of: "\n", with: "\\n")), file: small, as: "ana", key: ana))
            #expect(tricked.status == 400, "\(name): \(tricked.text)")
        }
        // Swapped after signing: the Content-Digest covers the file.
        var swapped = try Self.upload(Self.command(small), file: small, as: "ana", key: ana)
        swapped.body[swapped.body.count - 2] ^= 1
        let refused = try send(swapped)
        #expect(refused.status == 401 && refused.text.contains("Content-Digest"), "\(refused.text)")
        // Unsigned; signed by ana's key as amina; to an assessment that does not exist.
        #expect(try server.request("POST", "/api/v1/assessments/demo/evidence/prepare", body: Data(small)).status == 401)
        #expect(try send(try Self.upload(Self.command(small), file: small, as: "amina", key: ana)).status == 401)
        #expect(try send(try Self.upload(Self.command(small), file: small, as: "ana", key: ana, id: "nosuch")).status == 404)

        // Prepared by ana, committed by amina with her own valid signatures: forbidden, and ana's draft left alone.
        let prepared = try send(try Self.upload(Self.command(small), file: small, as: "ana", key: ana))
        #expect(prepared.status == 200, "\(prepared.text)")
        #expect(Self.leftovers(temporary).count == 1)
        let draft = try ServiceWire.Prepared(try JSONParser.parse(Array(prepared.body)))
        let amina = try ServerAPITests.key(ws, "amina")
        let crossed = try ServerAPITests.signed(server, "POST", "/api/v1/assessments/demo/commit",
                                                body: ServerAPITests.commitBody(draft, try ServerAPITests.sign(draft, with: ws, as: "amina")), as: "amina", key: amina)
        #expect(crossed.status == 403, "\(crossed.text)")
        #expect(try ws.events("demo").count == before)
        let own = try ServerAPITests.signed(server, "POST", "/api/v1/assessments/demo/commit",
                                            body: ServerAPITests.commitBody(draft, try ServerAPITests.sign(draft, with: ws, as: "ana")), as: "ana", key: ana)
        #expect(own.status == 201, "\(own.text)")
        #expect(try ws.events("demo").count == before + 1)
        // Committed: its file is in the assessment and no longer where it was waiting.
        #expect(Self.leftovers(temporary).isEmpty, "\(Self.leftovers(temporary))")
        let stored = try FileManager.default.contentsOfDirectory(atPath: ws.root.appendingPathComponent("assessments/demo/evidence/sha256").path)
        #expect(stored.contains { $0.hasPrefix(HRIAKit.Digest.sha256Hex(small)) }, "\(stored)")
        // A creation for an id that exists is 409.
        let exists = try ServerAPITests.signed(server, "POST", "/api/v1/assessments/demo/create",
                                               body: #"{"workflow":"demo","partner":"Acme"}"#, as: "ana", key: ana)
        #expect(exists.status == 409 && exists.text.contains("already exists"), "\(exists.text)")
        let path = try ServerAPITests.signed(server, "POST", "/api/v1/assessments/x1/create",
                                             body: #"{"workflow":"../hria","partner":"Acme"}"#, as: "ana", key: ana)
        #expect(path.status == 400, "\(path.text)")
        #expect(try server.get("/healthz").status == 200)
        try ws.ok(["verify", "--all"])
    }

    /// Sends `bytes` on a new connection to `port`, then (if `half`) closes the sending side; what came back within
    /// ten seconds. URLSession cannot send a body shorter than its length, nor one in chunks.
    static func raw(_ port: Int, _ bytes: [UInt8], half: Bool = false) throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
        if half { shutdown(socket, Int32(SHUT_WR)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[..<count]
            if String(decoding: answer, as: UTF8.self).contains("\r\n\r\n{") && answer.last == 0x0A { break }
        }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test("an upload cut short, or sent in chunks past the cap without a length, is refused and leaves no file; max_upload_bytes is checked")
    func streamedUploads() throws {
        let (ws, server, temporary) = try Self.serving("hria-write-streamed", ["--max-upload-bytes", "4096"])
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        let before = try ws.events("demo").count
        func head(_ upload: (path: String, body: [UInt8], headers: [String: String]), _ framing: String) -> [UInt8] {
            let fields = upload.headers.map { "\($0.key): \($0.value)\r\n" }.sorted().joined()
            return Array("POST \(upload.path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(fields)\(framing)\r\n".utf8)
        }
        // Cut short: a length of 3,000 bytes, 1,000 sent, then the connection closed.
        let file = [UInt8](repeating: 0x42, count: 2900)
        let whole = try Self.upload(Self.command(file), file: file, as: "ana", key: ana)
        _ = try Self.raw(server.port, head(whole, "Content-Length: \(whole.body.count)\r\n") + whole.body.prefix(1000), half: true)
        // In chunks, with no length, past the cap: 413 while it is read.
        let big = [UInt8](repeating: 0x43, count: 20_000)
        let chunked = try Self.upload(Self.command(big), file: big, as: "ana", key: ana)
        var body: [UInt8] = []
        for start in stride(from: 0, to: chunked.body.count, by: 1000) {
            let piece = chunked.body[start ..< min(start + 1000, chunked.body.count)]
            body += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
        }
        body += Array("0\r\n\r\n".utf8)
        let answer = try Self.raw(server.port, head(chunked, "Transfer-Encoding: chunked\r\n") + body)
        #expect(answer.hasPrefix("HTTP/1.1 413") && answer.contains("larger than this server takes"), "\(answer)")
        // The server is still there, recorded nothing, and kept no file.
        let deadline = Date().addingTimeInterval(5)
        while !Self.leftovers(temporary).isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(Self.leftovers(temporary).isEmpty, "\(Self.leftovers(temporary))")
        #expect(try server.get("/healthz").status == 200)
        #expect(try ws.events("demo").count == before)
        // The setting itself: a number of bytes from 1024 to 1 GiB.
        #expect(try ServerSettings.resolve(flags: ["max_upload_bytes": "2048"], environment: [:], file: nil).maximumUploadSize == 2048)
        #expect(try ServerSettings.resolve(flags: [:], environment: [:], file: nil).maximumUploadSize == 64 << 20)
        for wrong in ["12", "lots", "2000000000"] {
            #expect(throws: HRIAError.self) { try ServerSettings.resolve(flags: ["max_upload_bytes": wrong], environment: [:], file: nil) }
        }
    }

    @Test("a draft's uploaded file is removed when the draft expires, is committed, or cannot be kept")
    func draftFiles() throws {
        let folder = try HRIA.temporaryDirectory("hria-write-drafts")
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String) throws -> UploadedFile {
            let url = folder.appendingPathComponent(name)
            try Data("evidence".utf8).write(to: url)
            return UploadedFile(path: url.path, size: 8, sha256: HRIAKit.Digest.sha256Hex(Array("evidence".utf8)))
        }
        func command(_ actor: String) -> PreparedCommand {
            PreparedCommand(id: "demo", actor: actor, size: 1, head: .zero, rosterSize: nil, signaturesRequired: false, drafts: [], disclosures: [],
                            voided: [], files: [:], unsignedLines: [])
        }
        let pending = PendingCommands()
        let now = Date()
        let expiring = try #require(pending.keep(command("ana"), upload: try file("expiring"), now: now))
        let committed = try #require(pending.keep(command("ana"), upload: try file("committed"), now: now))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("expiring").path))
        // Committed: gone as soon as the commit ends.
        guard case .ready = pending.begin(committed, id: "demo", signer: "ana", now: now) else { Issue.record("not ready"); return }
        pending.finish(committed)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("committed").path))
        // Expired: gone at the next sweep, and its draft with it.
        pending.sweep(at: now.addingTimeInterval(pending.lifetime + 1))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("expiring").path))
        guard case .unknown = pending.begin(expiring, id: "demo", signer: "ana", now: now.addingTimeInterval(pending.lifetime + 1)) else {
            Issue.record("an expired draft was still there"); return
        }
        // Past a person's bound on disk: refused, and the file not kept.
        let huge = folder.appendingPathComponent("huge")
        try Data("x".utf8).write(to: huge)
        do {
            let tooMuch = UploadedFile(path: huge.path, size: pending.uploadLimitPerSigner + 1, sha256: "")
            #expect(pending.keep(command("ana"), upload: tooMuch, now: now) == nil)
        }
        #expect(!FileManager.default.fileExists(atPath: huge.path))
    }
}
