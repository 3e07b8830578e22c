import ArgumentParser
import Foundation
import HRIAPostgres
@_spi(Testing) import HRIAKit
import HRIAServer

/// The `hria` command: parses arguments, calls HRIAKit, prints, and exits with the contract's codes.
@main
struct HRIACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hria",
        abstract: "Human-rights impact assessments as code: workflows, assessments and a verifiable audit trail.",
        version: "0.1.0",
        subcommands: [InitCommand.self, ServeCommand.self, WorkflowCommand.self, NewCommand.self, StatusCommand.self, ListCommand.self,
                      FactCommand.self, EvidenceCommand.self, SignoffCommand.self, AdvanceCommand.self, CommentCommand.self, LogCommand.self,
                      VerifyCommand.self, CheckpointCommand.self, ProveCommand.self, KeysCommand.self, PeopleCommand.self,
                      ReportCommand.self, ExportCommand.self, EraseCommand.self, DisclosuresCommand.self, MigrateCommand.self,
                      StoreCommand.self]
    )

    /// Runs the command; ArgumentParser's usage errors become exit 2 and our errors their own codes.
    static func main() {
        do {
            // A misspelt command gets the closest one, as every other name does, not "unexpected arguments".
            if let unknown = unknownSubcommand(Array(CommandLine.arguments.dropFirst())) {
                Output.error(unknown)
                Foundation.exit(ExitStatus.badInput.rawValue)
            }
            var command = try parseAsRoot()
            try command.run()
        } catch let error as HRIAError {
            Output.error(error)
            Foundation.exit(error.status.rawValue)
        } catch let refusal as RemoteRefusal {
            printError(refusal.text.text)
            if let help = refusal.help { printError("  help: \(help)\n") }
            Foundation.exit(ExitStatus.refused.rawValue)
        } catch let refusal as Refusal {
            Output.refusal(refusal)
            Foundation.exit(ExitStatus.refused.rawValue)
        } catch let error as EngineError {
            if case .refused(let refusal) = error {
                Output.refusal(refusal)
                Foundation.exit(ExitStatus.refused.rawValue)
            }
            let reported = error.commandLineError
            Output.error(reported)
            Foundation.exit(reported.status.rawValue)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if code == .validationFailure {
                if !message.isEmpty { printError(message + "\n") }
                Foundation.exit(ExitStatus.badInput.rawValue)
            }
            // Anything else escaped the typed errors: say so plainly, with the internal-error code.
            printError("hria: internal error: \(error)\n")
            Foundation.exit(ExitStatus.internalError.rawValue)
        }
    }
}

extension HRIACommand {
    /// The error for a command word that names no command of its group (`hria nwe`, `hria workflow lnt`), with the
    /// closest command; nil when every command word is known (the arguments after them are the command's own).
    static func unknownSubcommand(_ arguments: [String]) -> HRIAError? {
        var command: any ParsableCommand.Type = HRIACommand.self
        var path: [String] = []
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word }) {
                command = next
                path.append(word)
                continue
            }
            let names = subcommands.map { $0._commandName }
            let spoken = (["hria"] + path).joined(separator: " ")
            return HRIAError.badInput("unknown command \"\(spoken) \(DisplayText.escape(word))\"",
                                      help: Suggestions.closest(to: word, in: names).map { "did you mean \"\(spoken) \($0)\"?" }
                                          ?? "commands: " + names.joined(separator: ", "))
        }
        return nil
    }
}

/// What every command can ask of where it runs: the workspace (given or found), paths, the clock.
protocol CommandContext {
    /// `--workspace`, when the command takes it.
    var workspace: String? { get }
}

extension CommandContext {
    var currentDirectory: String { FileManager.default.currentDirectoryPath }

    /// A path the person gave, made absolute from where they are.
    func absolute(_ path: String) -> String { Paths.absolute(path, from: currentDirectory) }

    /// The workspace, which commands on assessments need.
    func openWorkspace() throws(HRIAError) -> Workspace {
        guard let root = try workspaceRoot() else {
            throw .badInput("no workspace here: no hria.yaml in this folder or above",
                            help: "create one with hria init, or give --workspace DIR")
        }
        var workspace = try Workspace.open(root: root, databases: PostgresStoreOpener())
        if let step = ProcessInfo.processInfo.environment["HRIA_CRASH_AT"] {
            guard let crash = AppendStep(rawValue: step) else { throw .badInput("HRIA_CRASH_AT: unknown step \"\(step)\"") }
            workspace.crashAt = crash
        }
        return workspace
    }

    /// The clock for recording: the system's, or the moment fixed by HRIA_NOW.
    func clock() throws(HRIAError) -> Clock {
        guard let fixed = ProcessInfo.processInfo.environment["HRIA_NOW"], !fixed.isEmpty else { return .system }
        return .fixed(try now())
    }

    /// Now, or the moment fixed by HRIA_NOW (RFC 3339) for tests and reproducible examples.
    func now() throws(HRIAError) -> Date {
        guard let fixed = ProcessInfo.processInfo.environment["HRIA_NOW"], !fixed.isEmpty else { return Date() }
        guard let date = Timestamp.parse(fixed) else {
            throw .badInput("HRIA_NOW is not an RFC 3339 time: \"\(fixed)\"", help: "for example HRIA_NOW=2026-03-02T09:00:00Z")
        }
        return date
    }

    /// The workspace root if one is given or found; nil outside any workspace.
    func workspaceRoot() throws(HRIAError) -> String? {
        try WorkspaceLocator.find(explicit: workspace, from: currentDirectory)
    }
}

/// The options of a command that records something (docs/CLI.md, "Global"): the workspace and who is acting.
struct GlobalOptions: ParsableArguments, CommandContext {
    @Option(name: .long, help: ArgumentHelp("The workspace folder (default: the nearest folder upward holding hria.yaml).", valueName: "DIR"))
    var workspace: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Who is acting (default: $HRIA_ACTOR, else the one person whose key you hold).",
                                                        valueName: "PERSON"), completion: Completions.people)
    var actor: String?

    /// The acting person: --as, else $HRIA_ACTOR, else (with a roster) the one person whose key this user holds.
    func person(in workspace: Workspace) throws(HRIAError) -> Person {
        try workspace.person(actor ?? ProcessInfo.processInfo.environment["HRIA_ACTOR"])
    }

    /// The server to act through (HRIA_SERVER), or nil for the workspace: an explicit --workspace always means the
    /// workspace. A malformed HRIA_NOW is refused first, as every recording command refuses it on a workspace, so
    /// that nothing is sent by a command that would not run here.
    func server() throws(HRIAError) -> ServerClient? {
        guard workspace == nil else { return nil }
        _ = try now()
        return try ServerClient.fromEnvironment(actor: actor)
    }
}

/// The options of a command that only reads: the workspace. Nobody acts, so `--as` is not advertised; it is still
/// accepted (and ignored), so a script that passes it to every command keeps working.
struct ReadOptions: ParsableArguments, CommandContext {
    @Option(name: .long, help: ArgumentHelp("The workspace folder (default: the nearest folder upward holding hria.yaml).", valueName: "DIR"))
    var workspace: String?

    @Option(name: .customLong("as"), help: .hidden)
    var actor: String?

    /// The server to read through (HRIA_SERVER), or nil for the workspace: an explicit --workspace always means the
    /// workspace.
    func server() throws(HRIAError) -> ServerClient? {
        guard workspace == nil else { return nil }
        return try ServerClient.fromEnvironment(actor: actor)
    }
}

/// Reading a public bundle instead of a workspace (`hria log|status|report --bundle DIR`): an auditor's tools,
/// which verify the bundle first and read it only when it verifies.
struct BundleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read a public bundle from hria export instead of a workspace; it is verified first.", valueName: "DIR"))
    var bundle: String?
    @Option(help: ArgumentHelp("With --bundle: the organisation's published log verifier key to check it with (without it, the key "
                               + "the bundle ships is used, and a note says so).", valueName: "KEY"))
    var key: String?

    func validate() throws {
        if key != nil, bundle == nil { throw ValidationError("--key goes with --bundle DIR") }
    }

    /// The bundle, verified; `id`, when given, must be the assessment it holds. Notes on how it was checked go to
    /// standard error.
    func open(id: String?, context: some CommandContext) throws -> OpenedBundle? {
        guard let bundle else { return nil }
        let opened = try OpenedBundle.open(context.absolute(bundle), pinnedKey: key)
        if let id, id != opened.manifest.id {
            throw HRIAError.badInput("the bundle holds assessment \(opened.manifest.id), not \(id)", help: "leave out the id, or give \(opened.manifest.id)")
        }
        for note in opened.notes { Output.standardError("hria: note: \(DisplayText.escape(note))\n") }
        return opened
    }
}

/// The options of a command that works outside any workspace (init, keys): none.
struct LocalOptions: ParsableArguments, CommandContext {
    var workspace: String? { nil }
}

/// Printing helpers: results to standard output, problems to standard error.
enum Output {
    static func error(_ error: HRIAError) {
        var text = "hria: \(error.message)\n"
        if let help = error.help { text += "  help: \(help)\n" }
        printError(text)
    }

    /// A refusal: its summary and every blocker, each followed by the command that supplies it when one is given
    /// (`next`, by blocker), then the unset facts a transition reads, with theirs.
    static func refusal(_ refusal: Refusal, next: [String?] = [], unsetFacts: [(name: String, command: String)] = []) {
        printError(RefusalText(refusal, next: next, unsetFacts: unsetFacts).text)
    }

    /// Prints the events a command recorded: a repair made on the way as a note, the rest with `describe`.
    static func recorded(_ events: [Event], _ describe: (Event) -> String) {
        for event in events {
            if case .recoveryTruncated(let repair) = event.payload {
                let bytes = repair.bytes
                standardError("hria: note: the log ended with an interrupted write (\(bytes) bytes); it was cut back to its last "
                              + "complete event, a copy was kept as log.jsonl.broken-*, and #\(event.seq) records the repair\n")
            } else {
                // One line per event, whatever the values it echoes hold.
                print(DisplayText.escape(describe(event)))
            }
        }
    }

    /// Says whose approvals a recorded change voided.
    static func voided(_ people: [String]) {
        guard !people.isEmpty else { return }
        print(DisplayText.escape("voids the approvals of " + people.joined(separator: ", ") + ": they must sign again"))
    }

    /// A note that the log ends with an interrupted write, which reading commands leave for the next recording one.
    static func tornTailNote(_ bytes: Int) {
        guard bytes > 0 else { return }
        standardError("hria: note: the log ends with \(bytes) bytes of an interrupted write; the next command that records something cuts "
                      + "them (keeping a copy) and records the repair\n")
    }

    static func standardError(_ text: String) {
        printError(text)
    }
}
