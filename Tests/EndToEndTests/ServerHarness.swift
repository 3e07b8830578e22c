import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A `hria serve` process on a free loopback port, and a small HTTP client for it (URLSession, nothing of hria's).
final class RunningServer: Sendable {
    let child: ChildProcess
    let base: String

    /// Starts `hria serve --listen 127.0.0.1:0 ARGS…` in `directory` and waits for the address it bound.
    init(in directory: URL, _ arguments: [String] = [], listen: String = "127.0.0.1:0", environment: [String: String] = [:]) throws {
        child = try ChildProcess(executable: HRIA.executable, arguments: ["serve", "--listen", listen] + arguments,
                                 directory: directory, environment: environment)
        guard child.waitForFirstLine(timeout: 60) else {
            child.kill()
            throw HarnessError("hria serve printed no address within 60 s: \(child.wait().stderr)")
        }
        let line = child.outputSoFar().stdout
        guard let range = line.range(of: "listening on ") else {
            let outcome = child.wait()
            throw HarnessError("hria serve did not start (\(outcome.status)): \(outcome.stdout)\(outcome.stderr)")
        }
        base = String(line[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// The port it listens on.
    var port: Int { URL(string: base)?.port ?? 0 }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON object (problem details).
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    func get(_ path: String) throws -> Reply { try request("GET", path) }

    /// A session that keeps no cookies: a test sends the cookies it means to. (URLSession's shared store keeps cookies
    /// by host, not port, so one test's web session would otherwise be sent to another test's server.)
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.timeoutInterval = 60
        nonisolated(unsafe) var reply: Reply?
        nonisolated(unsafe) var failure: (any Error)?
        let done = DispatchSemaphore(value: 0)
        Self.session.dataTask(with: request) { data, response, error in
            if let response = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in response.allHeaderFields { headers["\(key)"] = "\(value)" }
                reply = Reply(status: response.statusCode, headers: headers, body: data ?? Data())
            } else {
                failure = error ?? HarnessError("no response")
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure {
            // Say what the server said last: a server that died says why.
            let said = child.outputSoFar().stderr.suffix(3000)
            throw HarnessError("\(method) \(path): \(failure)\nthe server (running: \(child.process.isRunning), status \(child.process.isRunning ? 0 : child.process.terminationStatus)) said:\n\(said)")
        }
        return try #require(reply)
    }

    /// Stops the server with `signal` (SIGTERM: drain and stop) and waits for it.
    func stop(_ signal: Int32 = SIGTERM) -> ChildProcess.Outcome {
        child.kill(signal)
        return child.wait()
    }
}

/// scripts/read-tiles, the independent tlog-tiles reader written in Python from the specifications.
enum TileReader {
    static let script = HRIA.packageRoot.appendingPathComponent("scripts/read-tiles")

    static func read(_ prefix: String, key: String, out: URL? = nil) throws -> HRIA.Result {
        let python = try #require(HRIA.which("python3"))
        return try HRIA.run([script.path, prefix, key] + (out.map { ["--out", $0.path] } ?? []), program: URL(fileURLWithPath: python))
    }
}

/// Clients that keep running a command through a server until told to stop, each remembering what it was told was
/// recorded: the load of the kill and outage tests.
final class ClientLoad: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private var stopped = false
    private(set) var acknowledged: [(id: String, seq: Int, text: String)] = []
    private(set) var statuses: [Int32: Int] = [:]
    /// What the first few unexpected failures said.
    private(set) var messages: [String] = []
    private let group = DispatchGroup()

    /// Starts `clients` threads, each commenting on its assessment (ids[i % count]) through `server()` as `person`.
    init(ws: TestWorkspace, clients: Int, ids: [String], person: String, server: @escaping @Sendable () -> String) {
        for client in 0 ..< clients {
            group.enter()
            Thread.detachNewThread { [self] in
                var step = 0
                while !isStopped, step < 400 {
                    let id = ids[client % ids.count], text = "load \(client) \(step)"
                    step += 1
                    guard let result = try? ws.run(["comment", id, text], as: person, in: ws.parent, environment: ["HRIA_SERVER": server()]) else { continue }
                    lock.withLock {
                        statuses[result.status, default: 0] += 1
                        if result.status != 0, result.status != 70, messages.count < 5 { messages.append("exit \(result.status): \(result.stderr)") }
                        if result.status == 0, let seq = Int(result.stdout.split(separator: "#").last?.split(separator: ":").first ?? "") {
                            acknowledged.append((id, seq, text))
                        }
                    }
                    if result.status != 0 { Thread.sleep(forTimeInterval: 0.05) }
                }
                group.leave()
            }
        }
    }

    var isStopped: Bool { lock.withLock { stopped } }
    var count: Int { lock.withLock { acknowledged.count } }

    /// Waits until at least `n` commands were acknowledged (or `timeout` seconds passed).
    func waitFor(_ n: Int, timeout: Double = 120) {
        let deadline = Date().addingTimeInterval(timeout)
        while count < n, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    func stop() -> (acknowledged: [(id: String, seq: Int, text: String)], statuses: [Int32: Int]) {
        lock.withLock { stopped = true }
        group.wait()
        return lock.withLock { (acknowledged, statuses) }
    }

    var unexpected: [String] { lock.withLock { messages } }
}
