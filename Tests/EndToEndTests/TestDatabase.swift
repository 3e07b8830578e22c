import Foundation
import Testing

/// The PostgreSQL cluster the database tests of one test process share: the one `scripts/with-postgres` gave the
/// whole run (HRIA_TEST_POSTGRES), else one started on first use by the same script and removed when this process
/// ends. Each test takes a database of its own (`fresh`), so tests never see each other's rows.
enum TestDatabase {
    struct Cluster: Sendable {
        /// `postgresql://hria@127.0.0.1:PORT/hria_test`
        var url: String
        /// How to run pg_ctl on it (empty when the cluster came from outside and its data folder is unknown).
        var ctl: String
        var data: String
        var psql: String
        /// How to start it again after a test stopped it.
        var start: String

        /// Stops the server as a power cut would (`pg_ctl stop -m immediate`): no checkpoint, no goodbye to clients.
        func crash() throws { try shell("\(ctl) -D '\(data)' -m immediate stop") }
        func restart() throws { try shell(start) }

        private func shell(_ command: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            // The server that `start` leaves running must not inherit this process's descriptors: Foundation learns
            // that a child ended when the last holder of a socket it shares with the child closes it, so a server
            // holding it would make waitUntilExit wait for the server. Its own log is the place to look.
            process.arguments = ["-c", "for fd in /dev/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; "
                                 + command + " >/dev/null 2>&1"]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw HarnessError("\(command): exit \(process.terminationStatus)") }
        }
    }

    /// Whether the database tests run: PostgreSQL's server is here, or CI requires them (and then fails without it).
    static var available: Bool { TestClusterTests.serverInstalled || TestClusterTests.required }

    static let cluster: Result<Cluster, HarnessError> = {
        let env = ProcessInfo.processInfo.environment
        if let url = env["HRIA_TEST_POSTGRES"], let psql = env["HRIA_TEST_PSQL"] {
            return .success(Cluster(url: url, ctl: env["HRIA_TEST_POSTGRES_CTL"] ?? "", data: env["HRIA_TEST_POSTGRES_DATA"] ?? "",
                                    psql: psql, start: env["HRIA_TEST_POSTGRES_START"] ?? ""))
        }
        return startCluster()
    }()

    /// A cluster of the caller's own (for a test that stops it), removed when this process ends.
    static func startCluster() -> Result<Cluster, HarnessError> {
        let process = Process()
        process.executableURL = HRIA.packageRoot.appendingPathComponent("scripts/with-postgres")
        // The cluster lives as long as this test process: the script's command waits for it to end.
        let script = """
        printf '%s\\n%s\\n%s\\n%s\\n%s\\n' "$HRIA_TEST_POSTGRES" "$HRIA_TEST_POSTGRES_CTL" "$HRIA_TEST_POSTGRES_DATA" "$HRIA_TEST_PSQL" \\
          "$HRIA_TEST_POSTGRES_START"
        while kill -0 \(getpid()) 2>/dev/null && [ "$(ps -o stat= -p \(getpid()) 2>/dev/null | cut -c1)" != Z ]; do sleep 1; done
        """
        process.arguments = ["bash", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        // Not this process's stderr: `swift test` reads the test process's output to its end, and would wait for the
        // script (which waits for this process to end) if the script held it too. A test process that has ended but
        // is not yet reaped is a zombie, which `kill -0` still finds: hence the look at its state.
        let log: FileHandle
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("with-postgres-\(UUID().uuidString).log").path
        do {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardError = log
            try process.run()
        } catch {
            return .failure(HarnessError("scripts/with-postgres did not start: \(error)"))
        }
        var text = ""
        while text.split(separator: "\n", omittingEmptySubsequences: false).count < 6 {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, lines[0].hasPrefix("postgresql://") else {
            let errors = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return .failure(HarnessError("scripts/with-postgres gave no cluster: \(text)\(errors)"))
        }
        return .success(Cluster(url: lines[0], ctl: lines[1], data: lines[2], psql: lines[3], start: lines[4]))
    }

    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    /// A new empty database on the shared cluster, by its URL.
    static func fresh(_ name: String = "t", on cluster: Cluster? = nil) throws -> String {
        try create(name, suffix: "", on: cluster)
    }

    /// A new database holding what `source` (on the shared cluster) holds now; nobody may be connected to `source`.
    static func copy(of source: String, as name: String) throws -> String {
        try create(name, suffix: " TEMPLATE \(source.split(separator: "/").last ?? "")", on: nil)
    }

    private static func create(_ name: String, suffix: String, on cluster: Cluster?) throws -> String {
        let cluster = try cluster ?? Self.cluster.get()
        lock.lock()
        counter += 1
        let database = "\(name.replacingOccurrences(of: "-", with: "_"))_\(getpid())_\(counter)"
        lock.unlock()
        try sql(cluster.url, "CREATE DATABASE \(database)\(suffix)", on: cluster)
        return url(cluster.url, database: database)
    }

    /// The cluster's URL with another database.
    static func url(_ base: String, database: String) -> String {
        guard let slash = base.range(of: "/", options: .backwards) else { return base }
        return String(base[..<slash.lowerBound]) + "/" + database
    }

    /// Runs SQL with psql (on the cluster's first database unless `url` names another), returning what it printed
    /// unaligned, without headers.
    @discardableResult
    static func sql(_ url: String, _ statement: String, on cluster: Cluster? = nil) throws -> String {
        let cluster = try cluster ?? Self.cluster.get()
        let result = try HRIA.run([url, "-v", "ON_ERROR_STOP=1", "-qAtc", statement], program: URL(fileURLWithPath: cluster.psql))
        guard result.status == 0 else { throw HarnessError("psql \(statement): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .newlines)
    }
}
