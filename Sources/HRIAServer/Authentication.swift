import Crypto
import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// The request context of hria's routes: who signed the request, once `SignedRequests` has checked it, and the
/// body it checked (collected once, at most the server's size cap).
struct HRIARequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The person whose signature the request carries; nil on anonymous routes.
    var signer: String?
    var body = ByteBuffer()
    /// The workspace the signature was checked against, opened for this request: the route acts on the same one
    /// (the roster it read is read again under the roster's lock only if it changed since).
    var workspace: Workspace?
    /// The web session a page was asked in (Web/WebSessions.swift); nil on the API's routes.
    var session: WebSessions.Session?

    init(source: Source) {
        coreContext = .init(source: source)
    }

    /// A path parameter as the client wrote it before percent-encoding it: the router hands parameters over as sent,
    /// and a person's or a workflow's name is compared with the names it may be, and said back, as typed.
    func decodedParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let text = raw.removingPercentEncoding else {
            throw Problem.badInput("the \(name) in the path is not percent-encoded UTF-8")
        }
        return text
    }
}

/// Nonces seen within the signature window, so a captured request cannot be sent again (docs/SERVER.md, "Who may
/// call it"). Bounded: past its size, a request is refused as busy rather than the memory growing.
final class NonceCache: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private var seen: [String: Int] = [:]
    let window: Int
    let capacity: Int

    private var inserted = 0

    init(window: Int, capacity: Int = 200_000) {
        self.window = window
        self.capacity = capacity
    }

    /// `signedBeforeStart` only from the store every instance shares, whose memory of nonces began when it started.
    enum Verdict { case fresh, replayed, full, signedBeforeStart }

    /// Records the nonce of a signature made at `created`; `.replayed` when it was seen before.
    func record(keyid: String, nonce: String, created: Int, now: Int) -> Verdict {
        lock.lock()
        defer { lock.unlock() }
        let key = keyid + "\u{0}" + nonce
        if seen[key] != nil { return .replayed }
        // Expired nonces go every 4,096 insertions, and when full, so the cache holds about one window's requests.
        inserted += 1
        if inserted % 4096 == 0 || seen.count >= capacity {
            seen = seen.filter { $0.value >= now - window - 60 }
            if seen.count >= capacity { return .full }
        }
        seen[key] = created
        return .fresh
    }
}

/// The workspace a request is checked against, and the key the roster lists for the person its signature names.
struct SignerKey: Sendable {
    var workspace: Workspace
    var keyid: String?
    var key: Curve25519.Signing.PublicKey?
}

/// Checks the RFC 9421 signature of every request to the routes it guards, with the key the roster lists for the
/// person who signed (`RequestSignature`): unsigned, malformed, expired, replayed or wrongly signed requests are
/// answered 401 and go no further; the signer is handed to the route, which acts as them and nobody else.
struct SignedRequests: RouterMiddleware {
    typealias Context = HRIARequestContext
    let server: HRIAServer
    let nonces: NonceCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: server.settings.maximumBodySize)
        } catch {
            throw Problem(status: .contentTooLarge, kind: "too-large", title: "Request too large",
                          detail: "the body is larger than this server takes (\(server.settings.maximumBodySize) bytes)", exitCode: ExitStatus.badInput.rawValue)
        }
        let (signer, workspace) = try await admit(request, body: body)
        context.signer = signer
        context.body = body
        context.workspace = workspace
        return try await next(request, context)
    }

    /// Checks a request's signature, the signer's rate and the nonce; the signer and the workspace checked against.
    /// `body` nil: the body is streamed after this (an upload), and its route checks it against the Content-Digest.
    func admit(_ request: Request, body: ByteBuffer?) async throws -> (signer: String, workspace: Workspace) {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        let message = RequestSignature.Message(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                               headers: headers)
        let now = Int(Date().timeIntervalSince1970)
        // The signer's key comes from the roster as it verifiably stands: a roster that does not verify stops here.
        // Everything that needs no roster first (present, covering, fresh, the body's digest), so that a request that
        // fails those costs no workspace, roster or database connection.
        let keyid: String
        do {
            if let body {
                keyid = try RequestSignature.precheck(message, body: body.readableBytesView, now: now, window: nonces.window)
            } else {
                keyid = try RequestSignature.precheckBeforeBody(message, now: now, window: nonces.window)
            }
        } catch {
            ServerMetrics.refusedRequests.increment()
            throw Self.unauthorized(error)
        }
        let found = try await server.blocking { () throws -> SignerKey in
            let workspace = try server.openWorkspace()
            guard Person.isValidID(keyid) else { return SignerKey(workspace: workspace, keyid: nil, key: nil) }
            let person: Person
            do {
                person = try workspace.person(keyid)
            } catch let error as HRIAError where error.status == .badInput {
                // Not on the roster, or removed from it. A roster that does not verify is another error, and stops here.
                return SignerKey(workspace: workspace, keyid: nil, key: nil)
            }
            guard let published = person.key, case .ssh(let key)? = PersonKey(published: published),
                  let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.raw) else {
                return SignerKey(workspace: workspace, keyid: nil, key: nil)
            }
            return SignerKey(workspace: workspace, keyid: keyid, key: publicKey)
        }
        let workspace = found.workspace
        let signer: RequestSignature.Signer
        do {
            let key = { (keyid: String) in keyid == found.keyid ? found.key : nil }
            if let body {
                signer = try RequestSignature.verify(message, body: body.readableBytesView, now: now, window: nonces.window, key: key)
            } else {
                signer = try RequestSignature.verifyBeforeBody(message, now: now, window: nonces.window, key: key)
            }
        } catch {
            ServerMetrics.refusedRequests.increment()
            throw Self.unauthorized(error)
        }
        // Nonces kept by the store every instance shares outlive this process: there, the store's start counts (below).
        let shared = workspace.store.sharedServerState
        guard shared != nil || signer.created >= server.started else {
            ServerMetrics.refusedRequests.increment()
            throw Self.signedBeforeStart
        }
        if let wait = server.limits.admit(signer.keyid, now: Date().timeIntervalSince1970) {
            ServerMetrics.rateLimited.increment()
            var problem = Problem(status: .tooManyRequests, kind: "busy", title: "Too many requests",
                                  detail: "\(signer.keyid) has made more than \(server.settings.rateLimit) signed requests a second",
                                  help: "wait \(wait) s; hria waits and asks again by itself", exitCode: ExitStatus.busy.rawValue)
            problem.retryAfter = wait
            throw problem
        }
        let verdict: NonceCache.Verdict
        if let shared {
            // One statement, which now and then also drops what expired.
            let sweepBefore = server.sweeps.due(now: now) ? now - nonces.window - 60 : nil
            verdict = switch try await server.blocking({
                try shared.record(nonce: signer.nonce, keyid: signer.keyid, created: signer.created, sweepBefore: sweepBefore, now: Date())
            }) {
            case .fresh: .fresh
            case .replayed: .replayed
            case .signedBeforeStart: .signedBeforeStart
            }
        } else {
            verdict = nonces.record(keyid: signer.keyid, nonce: signer.nonce, created: signer.created, now: now)
        }
        switch verdict {
        case .fresh: break
        case .signedBeforeStart:
            ServerMetrics.refusedRequests.increment()
            throw Self.signedBeforeStart
        case .replayed:
            ServerMetrics.refusedRequests.increment()
            throw Problem(status: .unauthorized, kind: "unauthorized", title: "Replayed request",
                          detail: "this request's signature (nonce \(DisplayText.escape(signer.nonce))) was already used", exitCode: ExitStatus.badInput.rawValue)
        case .full:
            throw Problem(status: .serviceUnavailable, kind: "busy", title: "Busy", detail: "too many signed requests in flight; try again",
                          exitCode: ExitStatus.busy.rawValue)
        }
        return (signer.keyid, workspace)
    }

    static let signedBeforeStart = Problem(
        status: .unauthorized, kind: "signed-before-start", title: "Signed before the server started",
        detail: "this request was signed before the server (re)started, so its nonce cannot be checked; sign it again",
        help: "hria signs each try anew; if this persists, check this machine's clock", exitCode: ExitStatus.badInput.rawValue)

    static func unauthorized(_ failure: RequestSignature.Failure) -> Problem {
        Problem(status: .unauthorized, kind: "unauthorized", title: "Not signed as the roster requires", detail: failure.description,
                help: "hria signs each request with your key when HRIA_SERVER is set; see docs/SERVER.md", exitCode: ExitStatus.badInput.rawValue)
    }
}
