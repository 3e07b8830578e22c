import ArgumentParser
import Foundation
import HRIAKit
import HRIAPostgres
import HRIAServer

/// `hria serve`: the workspace behind HTTP (docs/SERVER.md). Settings come from the flags, else the environment,
/// else `--config FILE`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the workspace over HTTP: health, metrics, the API's OpenAPI document, and every log on the C2SP tlog-tiles read path.",
        discussion: "Stops on SIGTERM or SIGINT after the requests in flight are answered. Logs are JSON lines on standard error.")

    @Option(help: ArgumentHelp("Where to listen, HOST:PORT (default 127.0.0.1:8080, or $HRIA_LISTEN); port 0 picks a free one.",
                               valueName: "HOST:PORT")) var listen: String?
    @Option(help: ArgumentHelp("The store, as HRIA_STORE takes it (postgresql://… or files); overrides hria.yaml.", valueName: "URL"))
    var store: String?
    @Option(help: ArgumentHelp("A settings file (YAML: listen, log_level, max_body_bytes, max_upload_bytes, idle_timeout, rate_limit, tls_certificate, tls_key).", valueName: "FILE")) var config: String?
    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).",
                                                             valueName: "LEVEL")) var logLevel: String?
    @Option(name: .customLong("max-body-bytes"), help: ArgumentHelp("The largest request body accepted (default 1 MiB).", valueName: "BYTES"))
    var maxBodyBytes: String?
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a silent connection is kept (default 30).", valueName: "SECONDS"))
    var idleTimeout: String?
    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Signed requests a second one person may make, in bursts of twice that (default 50; 0 for none).",
                                                             valueName: "N"))
    var rateLimit: String?
    @Option(name: .customLong("max-upload-bytes"), help: ArgumentHelp("The largest evidence upload accepted, the file and its command (default 64 MiB).",
                                                                      valueName: "BYTES"))
    var maxUploadBytes: String?
    @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM); with --tls-key.", valueName: "FILE"))
    var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The certificate's private key (PEM, unencrypted).", valueName: "FILE"))
    var tlsKey: String?
    @OptionGroup var global: ReadOptions

    func run() throws {
        var environment = ProcessInfo.processInfo.environment
        if let store {
            if let problem = StoreAddress.problem(store, inConfiguration: false) {
                throw HRIAError(.badInput, "--store: " + problem.message, help: problem.help)
            }
            environment["HRIA_STORE"] = store
        }
        let flags = [("listen", listen), ("log_level", logLevel), ("max_body_bytes", maxBodyBytes), ("idle_timeout", idleTimeout), ("rate_limit", rateLimit),
                     ("max_upload_bytes", maxUploadBytes),
                     ("tls_certificate", tlsCertificate.map(global.absolute)), ("tls_key", tlsKey.map(global.absolute))]
            .reduce(into: [String: String]()) { found, pair in if let value = pair.1 { found[pair.0] = value } }
        let settings = try ServerSettings.resolve(flags: flags, environment: environment, file: config.map(global.absolute))
        guard let root = try global.workspaceRoot() else {
            throw HRIAError.badInput("no workspace here: no hria.yaml in this folder or above", help: "give --workspace DIR")
        }
        // Opened once now, so that a workspace that cannot open stops the server at start with the usual message.
        let frozen = environment
        // Each request opens the workspace anew (what one learnt never stands for the next), but database
        // connections outlive it: at most one per worker thread waits for the next request.
        let databases = PostgresStoreOpener(environment: frozen, keeping: PostgresConnections(capacity: HRIAServer.workerThreads))
        // What earlier requests verified (the roster, checked workflows, opened snapshots), kept while their files are unchanged.
        let memos = WorkspaceMemos()
        let open: HRIAServer.WorkspaceOpener = { () throws(HRIAError) in
            try Workspace.open(root: root, databases: databases, environment: frozen, memos: memos)
        }
        _ = try open()

        try HRIAServer.serve(settings: settings, openWorkspace: open) { host, port in
            // For people and scripts: the address actually bound, on standard output (the logs are on standard error).
            FileHandle.standardOutput.write(Data("hria serve: listening on \(settings.tlsCertificate == nil ? "http" : "https")://\(host.contains(":") ? "[\(host)]" : host):\(port)\n".utf8))
        }
    }
}
