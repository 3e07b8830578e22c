import Crypto
import Foundation
import HRIAKit
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An evidence file that arrived with its command, in a private temporary file (mode 0600) until the command is
/// committed or its draft dropped. The file goes when the last reference to it does, whatever ended the request or
/// the draft (an error, a refusal, a dropped connection, an expiry), or sooner with `remove()`.
final class UploadedFile: Sendable {
    let path: String
    let size: Int
    let sha256: String

    init(path: String, size: Int, sha256: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }

    /// The bytes, for the workspace to keep as the local command would (an `InputFile`), checked to be the ones
    /// that arrived.
    func read() throws -> InputFile {
        let file = try InputFile.read(path, displayName: "the uploaded file", limit: size)
        guard file.bytes.count == size, HRIAKit.Digest.sha256Hex(file.bytes) == sha256 else {
            throw HRIAError(.internalError, "the uploaded file changed on the server's disk after it arrived", help: "upload it again")
        }
        return file
    }

    func remove() {
        unlink(path)
    }

    deinit {
        unlink(path)
    }
}

/// write(2), named apart from the writer's own `write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Writes an upload to its temporary file as it streams in. Removes the file unless it was handed over whole.
final class UploadWriter: @unchecked Sendable {
    // @unchecked: used by the one request receiving the upload, one call at a time (each awaited before the next).
    let path: String
    private var descriptor: Int32
    private var handedOver = false

    init() throws {
        var random = SystemRandomNumberGenerator()
        // Named by the server's process, so that a server started after one killed outright (whose files nothing
        // removed) can tell them from those of a server still running (`removeAbandoned`).
        let name = "\(Self.prefix)\(getpid())-" + (0 ..< 2).map { _ in String(random.next(), radix: 16) }.joined(separator: "-")
        path = (FileManager.default.temporaryDirectory.path as NSString).appendingPathComponent(name)
        // O_EXCL and O_NOFOLLOW: never another file that happens to be there, nor one a link points to.
        let opened = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            // Thrown before the writer is whole: nothing of it runs, and nobody else's file is removed.
            throw HRIAError(.internalError, "could not make a temporary file for the upload: \(String(cString: strerror(errno)))")
        }
        descriptor = opened
    }

    static let prefix = "hria-upload-"

    /// Removes the upload files of servers that are no longer running (killed with SIGKILL, or by a power cut):
    /// those named by a process id no process has. Run when a server starts; a file whose process is alive, or
    /// whose name is not one of ours, is left alone. Returns how many were removed.
    @discardableResult
    static func removeAbandoned(in folder: String = FileManager.default.temporaryDirectory.path) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0, pid != getpid() else { continue }
            // kill(pid, 0) sends nothing: ESRCH says no such process exists.
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            // Only regular files this user owns, never through a link.
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid() else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    func write(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw HRIAError(.internalError, "could not write the upload to a temporary file: \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }

    func finish(size: Int, sha256: String) throws -> UploadedFile {
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw HRIAError(.internalError, "could not write the upload to a temporary file") }
        handedOver = true
        return UploadedFile(path: path, size: size, sha256: sha256)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !handedOver { unlink(path) }
    }
}

extension HRIAServer {
    /// The routes that write beyond commands on an assessment that exists: starting one (`create`), and evidence
    /// with its file (`evidence/prepare`, streamed). Both prepare; the ordinary `commit` records what they prepared.
    func addWriteRoutes(to router: Router<HRIARequestContext>, signed api: RouterGroup<HRIARequestContext>) {
        api.post(":id/create") { _, context in
            let id = try context.parameters.require("id")
            let signer = try context.signer.orUnauthorized()
            let creation = try ServiceWire.Creation(try Self.json(context.body))
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let actor = try workspace.person(signer)
                let prepared: PreparedCommand, warnings: [String]
                do {
                    (prepared, warnings) = try workspace.prepareCreation(id: id, workflowName: creation.workflow, partner: creation.partner, title: creation.title,
                                                             facts: creation.facts, actor: actor, now: ServerClock.now())
                } catch let error as EngineError {
                    throw Self.problem(error, id: id, workspace: workspace)
                } catch let exists as AssessmentExists {
                    // Checked where hria new checks it, after the workflow, so both say the same first.
                    throw Problem(status: .conflict, kind: "exists", title: "Already exists", detail: exists.message,
                                  exitCode: ExitStatus.badInput.rawValue)
                }
                // The team warnings are said by the client after it started the assessment, as hria new says them.
                return try self.answer(prepared, upload: nil, teamWarnings: warnings, in: workspace)
            }
        }

        router.post("api/v1/assessments/:id/evidence/prepare") { request, context in
            let id = try context.parameters.require("id")
            let cap = self.settings.maximumUploadSize
            if let declared = request.headers[.contentLength], let length = Int(declared), length > cap {
                throw Self.uploadTooLarge(cap)
            }
            // Signed, fresh, within the signer's rate and never seen before, all before any of the body is read.
            let (signer, workspace) = try await SignedRequests(server: self, nonces: self.nonces).admit(request, body: nil)
            self.drafts(in: workspace).sweep(at: Date())
            let received = try await self.receive(request.body, cap: cap)
            // The digest the signature covers, read as the signature check read it (several lines joined).
            let claimed = request.headers.filter { $0.name.canonicalName == "content-digest" }.map(\.value).joined(separator: ", ")
            guard claimed == RequestSignature.contentDigest(sha256: received.digest) else {
                ServerMetrics.refusedRequests.increment()
                throw SignedRequests.unauthorized(.digestMismatch)
            }
            guard let json = try? JSONParser.parse(received.command) else {
                throw Problem.badInput("the upload does not start with the command as one line of JSON",
                                       help: "the body is the command as one line of JSON, a line feed, then the file's bytes")
            }
            let (command, allowVoiding) = try ServiceWire.command(json, withFile: true)
            guard let named = command.namedFile else {
                throw Problem.badInput("the command names no file: an upload is for evidence with a file",
                                       help: "evidence without a file is prepared with POST /api/v1/assessments/ID/prepare")
            }
            guard named.size == received.file.size, named.sha256 == received.file.sha256 else {
                throw Problem(status: .unprocessableContent, kind: "bad-input", title: "Not the file named",
                              detail: "the file that arrived (\(received.file.size) bytes, sha256 \(received.file.sha256.prefix(12))…) is not the one "
                                  + "the command names (\(named.size) bytes, sha256 \(named.sha256.prefix(12))…)",
                              exitCode: ExitStatus.badInput.rawValue)
            }
            return try await self.blocking {
                let prepared = try Self.prepare(id, command: command, allowVoiding: allowVoiding, as: signer, in: workspace)
                return try self.answer(prepared, upload: received.file, in: workspace)
            }
        }
    }

    /// Keeps a prepared command (with its file) for its signer, and answers with the lines to sign.
    private func answer(_ prepared: PreparedCommand, upload: UploadedFile?, teamWarnings: [String] = [], in workspace: Workspace) throws -> Response {
        let draft = try keep(.command(prepared), upload: upload, in: workspace)
        return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines,
                                                  signaturesRequired: prepared.signaturesRequired, voided: prepared.voided,
                                                  teamWarnings: teamWarnings).json)
    }

    /// The routes whose body is streamed, under their own cap (`max_upload_bytes`), rather than held under
    /// `max_body_bytes`.
    static func streamsItsBody(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 7 && parts[1] == "api" && parts[2] == "v1" && parts[3] == "assessments" && parts[5] == "evidence"
            && parts[6] == "prepare"
    }

    static func uploadTooLarge(_ cap: Int) -> Problem {
        Problem(status: .contentTooLarge, kind: "too-large", title: "Upload too large",
                detail: "the upload is larger than this server takes (\(cap) bytes, the command and the file)",
                help: "the server's max_upload_bytes sets it", exitCode: ExitStatus.badInput.rawValue)
    }

    /// An upload as it arrived: the command's line, the file (written to disk as it came, never held whole), the
    /// SHA-256 of the whole body for its Content-Digest. Past `cap` bytes, or with no line feed within the first
    /// `max_body_bytes`, it is refused at once and the file removed.
    private func receive(_ body: RequestBody, cap: Int) async throws -> (command: [UInt8], file: UploadedFile, digest: SHA256.Digest) {
        let writer = try UploadWriter()
        var whole = SHA256(), ofFile = SHA256()
        var command: [UInt8] = []
        var commandEnded = false
        var pending: [UInt8] = []
        var total = 0, fileSize = 0
        for try await chunk in body {
            total += chunk.readableBytes
            guard total <= cap else { throw Self.uploadTooLarge(cap) }
            var bytes = Array(chunk.readableBytesView)[...]
            whole.update(data: bytes)
            if !commandEnded {
                if let newline = bytes.firstIndex(of: 0x0A) {
                    command += bytes[..<newline]
                    bytes = bytes[bytes.index(after: newline)...]
                    commandEnded = true
                } else {
                    command += bytes
                    bytes = bytes[bytes.endIndex...]
                }
                guard command.count <= settings.maximumBodySize else {
                    throw Problem(status: .contentTooLarge, kind: "too-large", title: "Command too large",
                                  detail: "the upload's first line, its command, is longer than this server takes (\(settings.maximumBodySize) bytes)",
                                  help: "the body is the command as one line of JSON, a line feed, then the file's bytes",
                                  exitCode: ExitStatus.badInput.rawValue)
                }
            }
            guard !bytes.isEmpty else { continue }
            ofFile.update(data: bytes)
            fileSize += bytes.count
            pending += bytes
            // Written a mebibyte at a time, off the event loops.
            if pending.count >= 1 << 20 {
                let full = pending
                pending.removeAll(keepingCapacity: true)
                try await blocking { try writer.write(full) }
            }
        }
        guard commandEnded else {
            throw Problem.badInput("the upload has no file: its body is the command as one line of JSON, a line feed, then the file's bytes")
        }
        let rest = pending
        try await blocking { try writer.write(rest) }
        let file = try writer.finish(size: fileSize, sha256: ofFile.finalize().map { String(format: "%02x", $0) }.joined())
        return (command, file, whole.finalize())
    }
}
