import AsyncHTTPClient
import Foundation
import HRIAKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The command line as a client of `hria serve` (docs/SERVER.md), when `HRIA_SERVER` names one: every request is
/// signed with the person's own key (RFC 9421), and every event they record is signed by them here, on their
/// machine, before the server sees it. The server decides and records; it never holds a key that signs as anyone.
public struct ServerClient: Sendable {
    public let base: String
    public let person: String
    let signing: PersonSigning

    public init(base: String, person: String, signing: PersonSigning) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.person = person
        self.signing = signing
    }

    /// The client `HRIA_SERVER` asks for, acting as `actor` (`--as`, else `HRIA_ACTOR`); nil when it is not set.
    public static func fromEnvironment(actor: String?) throws(HRIAError) -> ServerClient? {
        let environment = ProcessInfo.processInfo.environment
        guard let server = environment["HRIA_SERVER"], !server.isEmpty else { return nil }
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil, url.query == nil else {
            throw .badInput("HRIA_SERVER: \"\(DisplayText.escape(server))\" is not a server address", help: "for example HRIA_SERVER=https://hria.example.org")
        }
        let person: String
        if let named = actor.flatMap({ $0.isEmpty ? nil : $0 }) ?? environment["HRIA_ACTOR"].flatMap({ $0.isEmpty ? nil : $0 }) {
            person = named
        } else {
            person = try heldPerson(environment: environment)
        }
        guard Person.isValidID(person) else { throw .badInput("\"\(DisplayText.escape(person))\" is not a person id") }
        let signing: PersonSigning
        do {
            signing = try PersonSigning(person: person, environment: environment)
        } catch {
            // No key of theirs here, so no request can be signed as them. Someone the roster does not list (or lists
            // as removed) is told so as on a workspace, from the roster the server publishes to anyone; someone it
            // lists is told that their key is missing.
            throw notActing(person, base: server) ?? error
        }
        return ServerClient(base: server, person: person, signing: signing)
    }

    /// Without --as or HRIA_ACTOR, the person acting is, as on a workspace, the one person whose key this user
    /// holds: here, whose key file is in their key folder (the roster that would say whose keys ssh-agent holds is
    /// the server's, and reading it needs a signed request). Refused, with the first line the workspace gives, when
    /// the folder holds no one's key or several people's.
    static func heldPerson(environment: [String: String]) throws(HRIAError) -> String {
        let personal = PersonalKeys(environment: environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: personal.folder)) ?? []
        let held = names.filter { Person.isValidID($0) && ((try? personal.key(of: $0)) ?? nil) != nil }.sorted()
        if held.count == 1 { return held[0] }
        if held.isEmpty {
            throw .badInput("who is acting? give --as PERSON or set HRIA_ACTOR",
                            help: "none of your keys is in your key folder (\(personal.folder)); through a server, the server checks your signature with the key the roster lists for you")
        }
        throw .badInput("who is acting? you hold the keys of " + held.joined(separator: ", ") + "; give --as PERSON")
    }

    public struct Reply: Sendable {
        public var status: Int
        public var body: [UInt8]
        /// Seconds the server asked to wait (429, 503).
        public var retryAfter: Int?
        public var json: JSONValue? { try? JSONParser.parse(body) }
    }

    /// Sends one signed request and waits for the answer. A 429 (this person's rate is used up) is waited out as
    /// its Retry-After asks, for up to 30 seconds, and the request signed and sent again; so is a request the server
    /// refused for having been signed before it (re)started.
    public func send(_ method: String, _ path: String, query: String = "", body: [UInt8] = [], contentType: String = "application/json",
                     idempotencyKey: String? = nil) throws -> Reply {
        let deadline = Date().addingTimeInterval(30)
        var resigned = 0
        while true {
            let reply = try sendOnce(method, path, query: query, body: body, contentType: contentType, idempotencyKey: idempotencyKey)
            // Signed while the server was restarting and received by the new process, which refuses signatures made
            // before it started (nothing was done): signed again, now.
            if reply.status == 401, resigned < 3, reply.json?["type"]?.stringValue == "urn:hria:problem:signed-before-start" {
                resigned += 1
                continue
            }
            guard reply.status == 429, Date() < deadline else { return reply }
            Thread.sleep(forTimeInterval: min(5, Double(reply.retryAfter ?? 1)))
        }
    }

    private func sendOnce(_ method: String, _ path: String, query: String, body: [UInt8], contentType: String, idempotencyKey: String?) throws -> Reply {
        guard let url = URL(string: base + path + (query.isEmpty ? "" : "?" + query)) else {
            throw HRIAError(.internalError, "cannot make a request to \(base + path)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        if !body.isEmpty {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: contentType)
        }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        // The path as sent, percent-encoding kept (what the server reads), not URL.path, which decodes it: a name
        // with a space would be signed as one path and sent as another.
        let sentPath = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? url.path
        let headers = try RequestSignature.sign(method: method, path: sentPath.isEmpty ? "/" : sentPath, query: query, body: body, keyid: person,
                                                created: Int(Date().timeIntervalSince1970), nonce: Self.nonce()) { try signing.raw($0) }
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        return try Self.execute(request, base: base)
    }

    /// The process's HTTP client, configured as the shared one is, and, when HRIA_CA_FILE names a PEM file of
    /// certificates, trusting those as well as the system's (a server whose certificate an organisation issued
    /// itself). It does not try a failed connection again by itself: it would try a certificate it refused until the
    /// request's deadline, a minute of silence before the same refusal. `execute` tries again only where nothing was
    /// sent (nobody listening yet, as while a server restarts).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        if let path = ProcessInfo.processInfo.environment["HRIA_CA_FILE"], !path.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(path)]
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// How long a command waits for its answer, trying again meanwhile to connect to a server not listening yet.
    static let deadline: TimeInterval = 60

    /// Sends a request and waits for the whole answer (at most 256 MiB).
    static func execute(_ request: HTTPClientRequest, base: String) throws -> Reply {
        if let path = ProcessInfo.processInfo.environment["HRIA_CA_FILE"], !path.isEmpty, !FileManager.default.isReadableFile(atPath: path) {
            throw HRIAError.badInput("HRIA_CA_FILE: \(DisplayText.escape(path)) cannot be read", help: "name a PEM file of the certificates to trust, or unset it")
        }
        let client = http
        let deadline = NIODeadline.now() + .seconds(Int64(Self.deadline))
        var pause = 0.05
        while true {
            switch run(request, on: client, deadline: deadline) {
            case .success(let reply):
                return reply
            case .failure(let error) where Self.notListening(error) && NIODeadline.now() + .milliseconds(Int64(pause * 1000)) < deadline:
                // The connection was refused before anything was sent, so the same request (signature and nonce
                // unused) goes again; the pauses grow to a second, as a restarting server may take a few.
                Thread.sleep(forTimeInterval: pause)
                pause = min(1, pause * 2)
            case .failure(let error):
                throw Self.unreachable(base, error)
            }
        }
    }

    /// One try of a request, run on the client's event loop while this (synchronous) thread waits.
    private static func run(_ request: HTTPClientRequest, on client: HTTPClient, deadline: NIODeadline) -> Result<Reply, any Error> {
        let box = ReplyBox()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                let response = try await client.execute(request, deadline: deadline)
                let bytes = try await response.body.collect(upTo: 256 << 20)
                box.set(.success(Reply(status: Int(response.status.code), body: Array(bytes.readableBytesView),
                                       retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return box.get()
    }

    /// Whether a connection failed because nobody listens at the address (refused, or the attempt timed out):
    /// nothing reached a server. A name that does not resolve, or a certificate refused, is not tried again.
    static func notListening(_ error: any Error) -> Bool {
        if let connection = error as? NIOConnectionError {
            return connection.dnsAError == nil && connection.dnsAAAAError == nil && !connection.connectionErrors.isEmpty
                && connection.connectionErrors.allSatisfy { notListening($0.error) }
        }
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return true }
        if let client = error as? HTTPClientError { return client == .connectTimeout }
        return false
    }

    /// Why a request got no answer, in words: a certificate this machine does not trust is said as such.
    static func unreachable(_ base: String, _ error: any Error) -> HRIAError {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return HRIAError(.internalError, "could not reach the server \(base): the TLS handshake failed (\(error))",
                             help: "if your organisation issued the server's certificate, set HRIA_CA_FILE to a PEM file of the certificate that issued it")
        }
        return HRIAError(.internalError, "could not reach the server \(base): \(error)", help: "check HRIA_SERVER, and that hria serve runs there")
    }

    /// An unsigned GET of a route anyone may read (the public bundle and report, the tlog-tiles read path).
    public static func fetchPublic(base: String, _ path: String) throws -> Reply {
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        guard let url = URL(string: root + path), url.scheme == "http" || url.scheme == "https" else {
            throw HRIAError.badInput("\(DisplayText.escape(root + path)) is not a server address", help: "for example HRIA_SERVER=https://hria.example.org")
        }
        return try execute(HTTPClientRequest(url: url.absoluteString), base: root)
    }

    /// `hria verify ID` through a server: the assessment's public bundle is downloaded, unpacked into a private
    /// temporary folder and verified here exactly as `hria verify --bundle` verifies one, with the log key the
    /// reader pins. Nothing the server says about the log is believed: not its key, not its verdict.
    public static func verifyPublished(base: String, id: String, pinnedKey: String, against: [UInt8]?) throws -> VerificationReport {
        guard AssessmentID.isValid(id) else { throw Workspace.invalidAssessmentID(id) }
        let reply = try fetchPublic(base: base, "/public/\(id)/bundle")
        if reply.status == 500, let damage = damageFound(reply, id: id) { return damage }
        guard reply.status == 200 else {
            let problem = reply.json
            let code = problem?["exit_code"]?.intValue.flatMap { ExitStatus(rawValue: Int32($0)) } ?? .internalError
            throw HRIAError(code == .done ? .internalError : code,
                            "the server gave no bundle of \(id): " + (problem?["detail"]?.stringValue ?? "it answered \(reply.status)"),
                            help: problem?["help"]?.stringValue)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hria-verify-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HRIAError(.internalError, "could not make a folder to check the bundle in: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try TarReader.extract(reply.body, into: folder)
        } catch {
            throw HRIAError(.integrity, "the server's bundle of \(id) is not a bundle hria can read: \(error.description)",
                            help: "nothing of it was believed; ask the organisation, or verify a bundle they publish with hria verify --bundle")
        }
        // The archive holds the bundle's folder, named after the assessment.
        guard FileManager.default.fileExists(atPath: folder + "/" + id + "/bundle.json") else {
            throw HRIAError(.integrity, "the server's bundle of \(id) has no \(id)/bundle.json", help: "nothing of it was believed")
        }
        return try PublicBundle.verify(folder: folder + "/" + id, pinnedKey: pinnedKey, against: against).0
    }

    /// The server's refusal to hand over the bundle of a log that does not verify, as the report of a failed
    /// verification: the problems the server found (each named as verify names it), with a note that they are the
    /// server's finding, since this reader had nothing to check themselves. Nil when the reply names no damage.
    static func damageFound(_ reply: Reply, id: String) -> VerificationReport? {
        guard let problem = reply.json, problem["type"]?.stringValue == "urn:hria:problem:integrity" else { return nil }
        var report = VerificationReport(id: id)
        let found = problem["verification"]?["assessments"]?.arrayValue?.first?["problems"]?.arrayValue ?? []
        for found in found {
            guard let kind = found["kind"]?.stringValue.flatMap(VerificationProblem.Kind.init(rawValue:)),
                  let message = found["message"]?.stringValue else { continue }
            report.problems.append(VerificationProblem(kind: kind, seq: found["seq"]?.intValue, message: message))
        }
        // A server that named no problem still refused for damage: its words stand for the one problem.
        if report.problems.isEmpty {
            report.problems.append(VerificationProblem(kind: .unreadable, seq: nil,
                                                       message: problem["detail"]?.stringValue ?? "the server found the log damaged"))
        }
        report.notes.append("found by the server, which gave no bundle to check: this log was not checked here")
        return report
    }

    /// A reply that is not a success, as the error the same failure is on the command line: a refusal prints its
    /// blockers (exit 1), problem details their message and help with the exit code they carry.
    public func failure(_ reply: Reply) -> any Error {
        let problem = reply.json
        // Turned away for the signature: when the roster does not let this person act (a key kept for someone it does
        // not list, or removed from it), that is said as on a workspace.
        if reply.status == 401, problem?["type"]?.stringValue == "urn:hria:problem:unauthorized", let notActing = Self.notActing(person, base: base) {
            return notActing
        }
        if let refusal = problem?["refusal"].flatMap(ServiceWire.refusal) { return RemoteRefusal(text: refusal, help: problem?["help"]?.stringValue) }
        let code = problem?["exit_code"]?.intValue.flatMap { ExitStatus(rawValue: Int32($0)) } ?? .internalError
        let detail = problem?["detail"]?.stringValue ?? "the server answered \(reply.status)"
        return HRIAError(code == .done ? .internalError : code, detail, help: problem?["help"]?.stringValue)
    }

    /// Runs a command on an assessment through the server: the events recorded and whose approvals they voided.
    public func perform(_ id: String, _ command: Command, allowVoiding: Bool = true) throws -> (events: [Event], voided: [String]) {
        let outcome = try performReporting(id, command, allowVoiding: allowVoiding)
        return (outcome.events, outcome.voided)
    }

    /// What a command through the server recorded, with what the command line says of it beside the events.
    public struct Performed: Sendable {
        public var events: [Event]
        public var voided: [String]
        /// The person had already approved this visit of the stage: the new approval counts once.
        public var alreadyApproved: Bool
        /// What the server prepared, of the try that was recorded (what it said beside the lines).
        public var prepared: ServiceWire.Prepared
    }

    /// Runs a command on an assessment through the server: it prepares the events, this machine signs each as the
    /// person, the server records them. Prepared again when the assessment moved in between (another person acted).
    public func performReporting(_ id: String, _ command: Command, allowVoiding: Bool = true) throws -> Performed {
        guard AssessmentID.isValid(id) else { throw Workspace.invalidAssessmentID(id) }
        guard let wire = ServiceWire.encode(command, allowVoiding: allowVoiding) else {
            throw HRIAError.badInput("this command is not available through a server yet", help: "run it on the workspace itself")
        }
        let path = "/api/v1/assessments/\(id)"
        return try perform(id) { try send("POST", path + "/prepare", body: Array(wire.rendered(pretty: false).utf8)) }
    }

    /// The prepare, sign and commit of `perform`, with `prepare` making the request that prepares (an ordinary
    /// command, an upload, a creation); each try prepares anew.
    func perform(_ id: String, failed: ((Reply) -> any Error)? = nil, prepare: () throws -> Reply) throws -> Performed {
        // Refused here as the workspace refuses it, before any request: an id is never put in a path unchecked.
        guard AssessmentID.isValid(id) else { throw Workspace.invalidAssessmentID(id) }
        return try perform(committingTo: "/api/v1/assessments/\(id)/commit", subject: id, check: "hria status \(id)", failed: failed, prepare: prepare)
    }

    /// The same for what commits at `commit` (an assessment's, or the roster's): `subject` names what kept changing,
    /// `check` the command that shows whether an unanswered commit was recorded; `failed` reads a prepare that failed
    /// (by default as `failure` does).
    func perform(committingTo commit: String, subject: String, check: String, failed: ((Reply) -> any Error)? = nil,
                 prepare: () throws -> Reply) throws -> Performed {
        var random = SystemRandomNumberGenerator()
        // Others recording on the same assessment make a try stale; it is prepared and signed again for up to 30
        // seconds. A fixed number of tries is not enough: two clients that keep acting on one assessment can make
        // either one lose many times running when a round trip is slow.
        let giveUp = Date().addingTimeInterval(30)
        var attempt = 0
        while attempt == 0 || Date() < giveUp {
            // A random pause of up to twice the last, from 20 ms to 1.3 s (exponential backoff with full jitter),
            // so that clients that collided do not collide again.
            if attempt > 0 {
                Thread.sleep(forTimeInterval: Double.random(in: 0 ... 0.02 * Double(1 << min(attempt, 6)), using: &random))
            }
            attempt += 1
            let prepared = try prepare()
            guard prepared.status == 200, let json = prepared.json else { throw failed.map { $0(prepared) } ?? failure(prepared) }
            let draft = try ServiceWire.Prepared(json)
            let (signatures, _) = try PreparedLines.sign(draft.lines) { unsigned in
                // Signed here, with the person's key: the server only checks and records.
                try signing.event(unsigned, required: draft.signaturesRequired)
            }
            let body = Array(ServiceWire.commit(draft: draft.draft, size: draft.size, signatures: signatures.map { $0 ?? "" })
                .rendered(pretty: false).utf8)
            // The same key for each try: a commit whose answer was lost is answered again, never recorded twice.
            let key = Self.nonce()
            // Retried when the answer was lost or the server is busy (an earlier try of this very commit may still be
            // running): never prepared again after that, since the first try may have recorded it.
            // A 503 is waited out for up to 45 seconds (longer than the server waits for its store); a lost answer is
            // asked for again up to 6 times.
            var committed: Reply?
            var lost = 0
            let deadline = Date().addingTimeInterval(45)
            var pause = 0.25
            while true {
                do {
                    let reply = try send("POST", commit, body: body, idempotencyKey: key)
                    committed = reply
                    if reply.status != 503 || Date() > deadline { break }
                } catch let error as HRIAError where error.status == .internalError && lost < 5 {
                    committed = nil
                    lost += 1
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(2, pause * 2)
            }
            guard let committed else { throw HRIAError(.internalError, "the server did not answer the commit") }
            if committed.status == 503 {
                // The outcome is not known: the command may still be recorded by the try that is running.
                throw HRIAError(.internalError, "the server had not finished recording this command when hria stopped waiting",
                                help: "check with \(check) whether it was recorded before running it again")
            }
            if committed.status == 409, committed.json?["type"]?.stringValue == "urn:hria:problem:stale" { continue }
            guard committed.status == 201 || committed.status == 200, let recorded = committed.json else { throw failure(committed) }
            let (events, voided) = try ServiceWire.recorded(recorded)
            return Performed(events: events, voided: voided, alreadyApproved: draft.alreadyApproved, prepared: draft)
        }
        throw HRIAError(.busy, "\(subject) kept changing while this command was being signed, for 30 seconds", help: "others are recording on it; try again")
    }

    /// 128 random bits, base64url.
    static func nonce() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
        return Base64URL.encode(bytes)
    }
}

/// A refusal the server reported, printed as a local one is: its blockers, then the help the command gives with
/// them, if any (how `hria migrate` says to map stages).
public struct RemoteRefusal: Error, Sendable {
    public var text: RefusalText
    public var help: String?
}

/// The answer of one request, handed from the client's task to the waiting thread.
private final class ReplyBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after it was waited for.
    private var value: Result<ServerClient.Reply, any Error> = .failure(CancellationError())
    func set(_ result: Result<ServerClient.Reply, any Error>) { value = result }
    func get() -> Result<ServerClient.Reply, any Error> { value }
}

/// The person's own key, as the client signs with it: from their key folder (`hria keys new`), else the one
/// Ed25519 key their ssh-agent holds.
public struct PersonSigning: Sendable {
    let person: String
    let key: SSHPrivateKey?
    let agent: (agent: SSHAgent, key: SSHPublicKey)?

    public init(person: String, environment: [String: String]) throws(HRIAError) {
        self.person = person
        let personal = PersonalKeys(environment: environment)
        if let key = try personal.key(of: person) {
            self.key = key
            agent = nil
            return
        }
        key = nil
        if let agent = try? SSHAgent(environment: environment), let held = try? agent.keys(), held.count == 1 {
            self.agent = (agent, held[0].key)
            return
        }
        throw .badInput("there is no key of \(person) on this machine to sign with",
                        help: "keep it in \(personal.folder)/\(person) (hria keys new \(person) makes one), or hold only it in ssh-agent")
    }

    /// The plain Ed25519 signature of a request's signature base.
    func raw(_ data: [UInt8]) throws -> [UInt8] {
        if let key { return try key.signRaw(data) }
        guard let agent else { throw HRIAError(.internalError, "no key to sign with") }
        do {
            return try agent.agent.signRaw(data, with: agent.key)
        } catch {
            throw HRIAError.badInput("ssh-agent could not sign for \(person): \(error)")
        }
    }

    /// The person's SSH signature of an event line (namespace `hria-event`), as the local command line makes it.
    func event(_ unsigned: [UInt8], required: Bool) throws -> String? {
        if let key { return Base64.standard.encode(try key.sign(unsigned, namespace: PersonKey.namespace)) }
        guard let agent else { return nil }
        do {
            return Base64.standard.encode(try agent.agent.sign(unsigned, namespace: PersonKey.namespace, with: agent.key))
        } catch {
            throw HRIAError.badInput("ssh-agent could not sign for \(person): \(error)")
        }
    }
}
