import Dispatch
import Foundation
import HRIAKit
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// `hria serve`: the workspace behind HTTP (docs/SERVER.md). The routes are thin: each opens the workspace, asks
/// HRIAKit, and writes what it answers in the wire format; the rules, the verifier and the log are HRIAKit's.
public struct HRIAServer: Sendable {
    /// Opens the workspace for one request. A request opens its own, so that what one request learnt (a roster
    /// read, a failed connection) never stands for the next; the store's snapshots keep that cheap.
    public typealias WorkspaceOpener = @Sendable () throws(HRIAError) -> Workspace

    let settings: ServerSettings
    let openWorkspace: WorkspaceOpener
    let registry: PrometheusCollectorRegistry
    let memo = TileMemo()
    /// Commands prepared and waiting for their signer, and answers to commits already given, when the store does not
    /// keep them for every instance (`drafts(in:)`).
    let pending = PendingCommands()
    /// When the shared store was last asked to drop what expired.
    let sweeps = SharedSweeps()
    /// How old a request's signature may be, in seconds; nonces are remembered that long.
    static let signatureWindow = 300
    let nonces = NonceCache(window: HRIAServer.signatureWindow)
    /// Who is signed in to the web pages, and the challenges they sign to get there.
    let web = WebSessions()
    /// When this server started (Unix seconds). The nonces it remembers are only those it saw, so a signature made
    /// before it started is refused: a request captured before a restart cannot be replayed to the new process. (With
    /// nonces in the store every instance shares, the store's own start counts instead: SignedRequests.)
    let started = Int(Date().timeIntervalSince1970)
    let limits: RateLimiter
    /// Where the workspace's blocking file and database calls run, off the event loops that serve connections.
    let pool: NIOThreadPool
    /// The threads of `pool`: requests whose files or database calls run at once.
    public static let workerThreads = 16

    public init(settings: ServerSettings, registry: PrometheusCollectorRegistry, openWorkspace: @escaping WorkspaceOpener) {
        self.settings = settings
        self.registry = registry
        self.openWorkspace = openWorkspace
        limits = RateLimiter(perSecond: settings.rateLimit)
        pool = NIOThreadPool(numberOfThreads: Self.workerThreads)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and lets the requests in flight finish.
    /// `onListening` is told the address actually bound (port 0 asks for a free one).
    public func run(logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void) async throws {
        let http: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeout))))
        let server = try settings.tlsConfiguration().map { try HTTPServerBuilder.tls(http, tlsConfiguration: $0) } ?? http
        pool.start()
        let abandoned = UploadWriter.removeAbandoned()
        if abandoned > 0 { logger.notice("removed upload files left by servers no longer running", metadata: ["files": "\(abandoned)"]) }
        let application = Application(
            router: router(logger: logger),
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "hria"),
            onServerRunning: { channel in
                let bound = channel.localAddress
                onListening(bound?.ipAddress ?? settings.host, bound?.port ?? settings.port)
            },
            logger: logger
        )
        do {
            try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        try await pool.shutdownGracefully()
    }

    func router(logger: Logger) -> Router<HRIARequestContext> {
        let router = Router(context: HRIARequestContext.self)
        router.middlewares.add(ProblemMiddleware(logger: logger))
        router.middlewares.add(MetricsMiddleware())
        // Consultation pages are logged without their path (Web/WebConsultation.swift); the rest as Hummingbird logs them.
        router.middlewares.add(LogRequestsWithoutConsultations(.info))
        router.middlewares.add(BodyLimitMiddleware(maximumBodySize: settings.maximumBodySize, maximumUploadSize: settings.maximumUploadSize))

        router.get("healthz") { _, _ in
            Response.text("ok\n")
        }
        router.get("readyz") { _, _ in
            // Ready when the workspace opens and its store answers: the assessments can be listed.
            _ = try await self.blocking { () throws(HRIAError) in try self.openWorkspace().assessmentIDs() }
            return Response.text("ready\n")
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
        router.get("api/v1/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.get("logs/:log/checkpoint") { _, context in
            let name = try context.parameters.require("log")
            let published = try await self.blocking { try PublishedLog.read(name, from: try self.openWorkspace(), memo: self.memo) }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            // The one file of a log that moves: always asked again.
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: published.checkpoint)))
        }
        router.get("logs/:log/tile/**") { request, context in
            let name = try context.parameters.require("log")
            let rest = context.parameters.getCatchAll().joined(separator: "/")
            guard let path = LogTiles.Path("tile/" + rest) else {
                throw Problem.notFound("\(DisplayText.escape(request.uri.path)) is not a tile path",
                                       help: "tiles are tile/L/N[.p/W] and tile/entries/N[.p/W], as C2SP tlog-tiles writes them")
            }
            let published = try await self.blocking { try PublishedLog.read(name, from: try self.openWorkspace(), memo: self.memo) }
            switch published.tiles.bytes(path) {
            case .success(let bytes):
                var headers = HTTPFields()
                headers[.contentType] = "application/octet-stream"
                // A tile's bytes never change once the tree covers it.
                headers[.cacheControl] = "public, max-age=31536000, immutable"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            case .failure(.beyondTree):
                throw Problem.notFound("the log \(name) has \(published.tiles.size) entries at its latest checkpoint; \(path) is beyond them")
            case .failure(.entryTooLong(let seq)):
                throw Problem(status: .notImplemented, kind: "entry-too-long", title: "Entry too long for a bundle",
                              detail: "event \(seq) of \(name) is longer than a tlog-tiles entry bundle can carry "
                                  + "(\(LogTiles.maximumEntryLength) bytes); the hash tiles still cover it",
                              help: nil, exitCode: ExitStatus.badInput.rawValue)
            }
        }
        addAssessmentRoutes(to: router)
        addPortfolioRoutes(to: router)
        addReadRoutes(to: router)
        addRosterRoutes(to: router)
        addWorkflowRoutes(to: router)
        addWebRoutes(to: router)
        return router
    }

    /// Every route, as api/openapi.yaml describes them (a test holds the two to each other): a method and a path
    /// whose `:name` segments take one path element and whose `**` takes the rest.
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/api/v1/openapi.yaml"),
        ("GET", "/api/v1/assessments"), ("GET", "/api/v1/assessments/:id"),
        ("POST", "/api/v1/assessments/:id/prepare"), ("POST", "/api/v1/assessments/:id/commit"),
        ("POST", "/api/v1/assessments/:id/create"), ("POST", "/api/v1/assessments/:id/evidence/prepare"),
        ("GET", "/api/v1/assessments/:id/log"), ("GET", "/api/v1/assessments/:id/report"), ("GET", "/api/v1/assessments/:id/checkpoint"),
        ("GET", "/api/v1/assessments/:id/prove"), ("GET", "/api/v1/assessments/:id/bundle"),
        ("GET", "/api/v1/assessments/:id/disclosures"), ("GET", "/api/v1/assessments/:id/verify"),
        ("GET", "/api/v1/assessments/:id/workflow-diff"), ("GET", "/api/v1/portfolio"),
        ("GET", "/api/v1/roster"), ("GET", "/api/v1/roster/people/:person"), ("GET", "/api/v1/roster/allowed-signers"),
        ("POST", "/api/v1/roster/prepare"), ("POST", "/api/v1/roster/commit"),
        ("GET", "/api/v1/workflows"), ("GET", "/api/v1/workflows/:name"), ("GET", "/api/v1/workflows/:name/graph"),
        ("GET", "/api/v1/workflows/:name/lint"), ("GET", "/api/v1/workflows/:name/diff"),
        ("GET", "/public/:id/report"), ("GET", "/public/:id/bundle"),
        ("GET", "/logs/:log/checkpoint"), ("GET", "/logs/:log/tile/**"),
    ]

    /// The methods the routes take at `path` (empty when none is there): a known path asked with another method is
    /// answered 405 with them, not 404.
    static func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            for (index, element) in pattern.enumerated() {
                if element == "**" { return parts.count > index }
                guard index < parts.count else { return false }
                let part = parts[parts.startIndex + index]
                if element.hasPrefix(":") ? part.isEmpty : element != part { return false }
            }
            return pattern.count == parts.count
        }.map(\.method)
    }

    /// Runs blocking work (files, the database client's waits) on the server's thread pool; an HRIAError becomes
    /// the problem of its class.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(work)
        } catch let error as HRIAError {
            throw Problem(error)
        }
    }
}

extension HRIAServer {
    /// Runs a server in this process until SIGTERM or SIGINT: sets up the process's JSON logs and Prometheus
    /// metrics, then blocks the calling thread while the server runs on its own threads.
    public static func serve(settings: ServerSettings, openWorkspace: @escaping WorkspaceOpener,
                             onListening: @escaping @Sendable (String, Int) -> Void) throws {
        // TLS files are read before anything starts: a wrong one is exit 2, as any wrong setting is.
        _ = try settings.tlsConfiguration()
        ShutdownSignals.unblock()
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "hria.serve")
        let server = HRIAServer(settings: settings, registry: registry, openWorkspace: openWorkspace)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Task.detached {
            do {
                try await server.run(logger: logger) { host, port in
                    logger.notice("listening", metadata: ["address": "\(host):\(port)"])
                    onListening(host, port)
                }
            } catch {
                outcome.failure = error
            }
            finished.signal()
        }
        finished.wait()
        if let failure = outcome.failure {
            throw HRIAError(.internalError, "the server stopped: \(failure)")
        }
        logger.notice("stopped")
    }
}

/// How the server task ended, read once it has.
private final class Outcome: @unchecked Sendable {
    // @unchecked: written by the server task before it signals, read by the waiting thread after.
    var failure: (any Error)?
}

extension Response {
    static func text(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Refuses a request whose declared body is larger than the server takes (413), before any of it is read. Routes
/// that read a body collect at most the same size, so a body without a length cannot exceed it either.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBodySize: Int
    let maximumUploadSize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // An upload is streamed under its own cap, checked by its route as it reads (UploadRoutes.swift).
        if HRIAServer.streamsItsBody(request.uri.path) { return try await next(request, context) }
        // The web evidence form carries its file: it is read under the upload cap (WebSignedIn), this is its first check.
        let cap = HRIAServer.isWebEvidenceForm(request.uri.path) ? maximumUploadSize : maximumBodySize
        if let declared = request.headers[.contentLength], let length = Int(declared), length > cap {
            throw Problem(status: .contentTooLarge, kind: "too-large", title: "Request too large",
                          detail: "the body is \(length) bytes; this server takes at most \(cap)",
                          help: nil, exitCode: ExitStatus.badInput.rawValue)
        }
        return try await next(request, context)
    }
}

/// Every error answered as problem details: hria's own as they are, the framework's (no such route, wrong method)
/// with their status, and anything else as a 500 that names no internals (the log has it).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HRIAError {
            throw Problem(error)
        } catch let error as any HTTPResponseError {
            let allowed = HRIAServer.methods(at: request.uri.path)
            if error.status == .notFound, !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                var problem = Problem(status: .methodNotAllowed, kind: "bad-input", title: "Method not allowed",
                                      detail: "\(DisplayText.escape(request.uri.path)) takes " + allowed.joined(separator: ", "),
                                      exitCode: ExitStatus.badInput.rawValue)
                problem.allow = allowed.joined(separator: ", ")
                throw problem
            }
            let detail = error.status == .notFound ? "there is nothing at \(DisplayText.escape(request.uri.path))"
                : "\(request.method) \(DisplayText.escape(request.uri.path)): \(error.status.reasonPhrase.lowercased())"
            throw Problem(status: error.status, kind: error.status == .notFound ? "not-found" : "bad-input", title: error.status.reasonPhrase,
                          detail: detail, exitCode: ExitStatus.badInput.rawValue)
        } catch {
            logger.error("unexpected failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw Problem(status: .internalServerError, kind: "internal", title: "Internal error",
                          detail: "the server failed in a way it does not expect; its log has the details", exitCode: ExitStatus.internalError.rawValue)
        }
    }
}
