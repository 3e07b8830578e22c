import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a running assessment to another version of its workflow, checked and recorded.",
        discussion: "Everything the assessment has recorded must fit the new version: the stages it has been in, its facts "
            + "and its evidence, read as the new types say; every problem is named. A stage the new version renames or "
            + "removes is mapped with --map OLD=NEW. Only an admin may migrate, with a reason. Approvals of the current stage "
            + "no longer count afterwards. The old workflow stays in the assessment's folder and earlier events are judged by "
            + "it; the new one is kept beside it. hria workflow diff --assessment ID NEW shows the differences first.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Option(help: ArgumentHelp("The workflow to move to: a name in workflows/ or a file.", valueName: "NAME|FILE")) var to: String
    @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
    @Option(name: .customLong("map"), help: ArgumentHelp("A stage of the current version and the stage of the new one it becomes "
                                                        + "(repeat for several).", valueName: "OLD=NEW"))
    var maps: [String] = []
    @Flag(help: "Check and show what would change, recording nothing.") var dryRun = false
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var global: GlobalOptions

    /// The stage map, each OLD=NEW once.
    func stages() throws -> [String: String] {
        var stages: [String: String] = [:]
        for entry in maps {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--map takes OLD=NEW, two stage names: \(DisplayText.escape(entry))")
            }
            guard stages[parts[0]] == nil else { throw ValidationError("--map names stage \(DisplayText.escape(parts[0])) twice") }
            stages[parts[0]] = parts[1]
        }
        return stages
    }

    func validate() throws { _ = try stages() }

    func run() throws {
        if let server = try ServerClient.fromEnvironment(actor: global.actor) { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        let result: MigrationResult
        do {
            result = try workspace.migrate(id, to: to, stages: try stages(), reason: reason, actor: actor, clock: try global.clock(),
                                           dryRun: dryRun)
        } catch EngineError.refused(let refusal) {
            // --map resolves a stage problem only; a fact or an item the new version cannot hold needs a different version.
            let stages = refusal.blockers.contains { $0.rule == "migration-stage" }
            Output.refusal(refusal)
            if stages {
                Output.standardError("  help: map each stage the new version renames or removes with --map OLD=NEW; "
                                     + "hria workflow diff --assessment \(id) \(DisplayText.escape(to)) lists what changed\n")
            }
            throw ExitCode(ExitStatus.refused.rawValue)
        }
        Output.recorded(result.events.filter { $0.type == .recoveryTruncated }) { _ in "" }
        if json {
            print(MigrationReport.json(result, dryRun: dryRun).rendered(pretty: true))
        } else {
            print(MigrationReport.text(result, id: id, dryRun: dryRun), terminator: "")
        }
    }
}
