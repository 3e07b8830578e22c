import Dispatch
import Foundation
import HRIAKit
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One command's connection to the database: opened at first use, its schema brought up to date then, closed when
/// the process ends. The command line is synchronous and postgres-nio is asynchronous; each statement is run on
/// the concurrency pool while the calling thread waits for it (never from an async context).
final class PostgresSession: @unchecked Sendable {
    // @unchecked: `connection` and `failure` are reached only under `lock`.
    let settings: DatabaseSettings
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var failure: HRIAError?
    /// Where the connection goes when the session ends, for the next session to reuse (a server's requests); nil
    /// closes it (a command's one session).
    private let keeper: PostgresConnections?
    /// A statement failed in a way that leaves the connection's state unknown: it is closed, never handed on.
    /// Under its own lock: a statement run while `open` holds `lock` (the schema check) may set it.
    private var broken = false
    private let brokenLock = NSLock()
    private let logger = Logger(label: "hria.postgres")
    /// What this process learnt that saves a round trip later (docs/STORE.md, "Round trips"): assessments seen to
    /// exist, and workflow files by digest (content-addressed, so never stale).
    private var existing: Set<String> = []
    private var workflows: [String: (name: String, bytes: [UInt8])] = [:]
    /// The schema version found when the connection was opened, and the migrations applied then.
    private(set) var versionFoundAtOpen: Int?
    private(set) var appliedAtOpen: [StoreSchema.Migration] = []

    init(settings: DatabaseSettings, keeper: PostgresConnections? = nil) {
        self.settings = settings
        self.keeper = keeper
    }

    deinit {
        guard let connection else { return }
        if let keeper, !brokenLock.withLock({ broken }) {
            keeper.give(connection, for: settings)
        } else {
            // Closing tells the server at once instead of leaving it to notice a dropped socket.
            Self.close(connection)
        }
    }

    /// The first failure to reach the database while reading (readers that return "nothing" record it here).
    var readFailure: HRIAError? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    func knownToExist(_ id: String) -> Bool { locked { existing.contains(id) } }
    func seen(_ id: String) { locked { _ = existing.insert(id) } }
    func knownWorkflow(_ id: String, sha256: String) -> (name: String, bytes: [UInt8])? { locked { workflows[id + "/" + sha256] } }
    func remember(workflow: (name: String, bytes: [UInt8]), of id: String, sha256: String) { locked { workflows[id + "/" + sha256] = workflow } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func recordFailure(_ error: HRIAError) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    /// The open connection, made (and the schema migrated) on first use.
    func open() throws(HRIAError) -> PostgresConnection {
        lock.lock()
        defer { lock.unlock() }
        if let connection { return connection }
        // A kept connection was opened, and its schema checked, by an earlier session of this process.
        if let kept = keeper?.take(for: settings) {
            connection = kept
            return kept
        }
        let settings = settings
        var configuration = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                             password: settings.password, database: settings.database,
                                                             tls: try Self.tls(settings))
        configuration.options.connectTimeout = .seconds(10)
        // Every commit is durable before it is acknowledged, whatever the server's default.
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on"), ("application_name", "hria")]
        let logger = logger
        let made: PostgresConnection
        let finished = configuration
        do {
            made = try Self.wait {
                try await PostgresConnection.connect(configuration: finished, id: 1, logger: logger)
            }
        } catch {
            throw Self.describe(error, settings: settings, doing: "connect to")
        }
        connection = made
        do {
            let found = try StoreSchema.version(self, connection: made)
            versionFoundAtOpen = found
            appliedAtOpen = try StoreSchema.ensureCurrent(self, connection: made, found: found)
        } catch {
            connection = nil
            Self.close(made)
            throw error
        }
        return made
    }

    /// Closes without waiting: a session may end on any thread, a server's async ones among them, where waiting for
    /// a task of the same pool could wait for ever (the pool has one thread per core). A process that exits before the
    /// close is sent still closes the socket, which the server sees at once.
    static func close(_ connection: PostgresConnection) {
        Task { try? await connection.close() }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery, doing: String) throws(HRIAError) -> [PostgresRow] {
        let connection = try open()
        return try run(query, on: connection, doing: doing)
    }

    func run(_ query: PostgresQuery, on connection: PostgresConnection, doing: String) throws(HRIAError) -> [PostgresRow] {
        let logger = logger
        do {
            return try Self.wait {
                var rows: [PostgresRow] = []
                for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
                return rows
            }
        } catch {
            // A key already taken is how two writers meet (the append tries again on the same connection); any
            // other failure may leave a transaction open or a reply unread, so the connection is not reused.
            if Self.sqlState(error) != "23505" { brokenLock.withLock { broken = true } }
            throw Self.describe(error, settings: settings, doing: doing)
        }
    }

    /// The SQLSTATE of a server error thrown by a statement (23505: a unique key already taken).
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// How long one database call may take before the command gives up (exit 70).
    static let answerSeconds = 30

    /// A call the server did not answer in time.
    struct NoAnswer: Error {}

    /// Runs async work and waits for it on this thread.
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        Task {
            do {
                box.result = .success(try await work())
            } catch {
                box.result = .failure(error)
            }
            box.done.signal()
        }
        // A server that stops answering (stopped mid-call, a network gone quiet) must not hang the command.
        guard box.done.wait(timeout: .now() + .seconds(answerSeconds)) == .success else { throw NoAnswer() }
        guard let result = box.result else { throw HRIAError(.internalError, "a database call ended without a result") }
        return try result.get()
    }

    /// What went wrong, in words: a server error keeps its message and SQLSTATE, a connection failure says where.
    /// Both are internal errors (exit 70): nothing was recorded that was not committed.
    static func describe(_ error: any Error, settings: DatabaseSettings, doing: String) -> HRIAError {
        if let error = error as? HRIAError { return error }
        if error is NoAnswer {
            return HRIAError(.internalError, "could not \(doing) the database \(settings.display): it did not answer within \(answerSeconds) seconds",
                             help: "if this was a write, run hria log to see whether it was recorded before running it again")
        }
        guard let error = error as? PSQLError else {
            return HRIAError(.internalError, "could not \(doing) the database \(settings.display): \(error)")
        }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return HRIAError(.internalError, "the database \(settings.display) refused to \(doing): \(DisplayText.escape(message))\(state)")
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return HRIAError(.internalError, "could not \(doing) the database \(settings.display) (\(error.code)\(underlying))",
                         help: "nothing was recorded; check that the database is running and reachable, then run the command again")
    }

    /// TLS as `sslmode` asks: none, tried, or required (with the certificate checked for verify-ca and verify-full).
    static func tls(_ settings: DatabaseSettings) throws(HRIAError) -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch settings.sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let root = settings.rootCertificate { configuration.trustRoots = .file(root) }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw HRIAError(.badInput, "TLS to the database cannot be set up: \(error)")
        }
        switch settings.sslMode {
        case .allow, .prefer: return .prefer(context)
        default: return .require(context)
        }
    }
}

/// Connections kept open between sessions, so that a server's request does not pay for a new one (PostgreSQL
/// starts a process for each, and authenticates it). Only connections whose every statement succeeded come back;
/// one the database closed meanwhile (a restart) is dropped when taken. At most `capacity` wait, the rest close.
public final class PostgresConnections: @unchecked Sendable {
    // @unchecked: `idle` and `parsed` are reached only under `lock`.
    private let lock = NSLock()
    private var idle: [DatabaseSettings: [PostgresConnection]] = [:]
    let capacity: Int

    public init(capacity: Int = 16) {
        self.capacity = capacity
    }

    /// The settings an address was read into, by the address: a server opens a store per request, and reads the
    /// address (and a password file) only the first time. A changed password file is read when the server restarts.
    private var parsed: [String: DatabaseSettings] = [:]

    func settings(for address: String, parse: () throws(HRIAError) -> DatabaseSettings) throws(HRIAError) -> DatabaseSettings {
        if let known = lock.withLock({ parsed[address] }) { return known }
        let settings = try parse()
        lock.withLock { if parsed.count < 64 { parsed[address] = settings } }
        return settings
    }

    func take(for settings: DatabaseSettings) -> PostgresConnection? {
        lock.lock()
        defer { lock.unlock() }
        while let connection = idle[settings]?.popLast() {
            if !connection.isClosed { return connection }
            PostgresSession.close(connection)
        }
        return nil
    }

    func give(_ connection: PostgresConnection, for settings: DatabaseSettings) {
        lock.lock()
        defer { lock.unlock() }
        guard !connection.isClosed, idle.values.reduce(0, { $0 + $1.count }) < capacity else {
            PostgresSession.close(connection)
            return
        }
        idle[settings, default: []].append(connection)
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once before `done` is signalled and read only after it was received.
    var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)
}
