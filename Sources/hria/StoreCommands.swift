import ArgumentParser
import Foundation
import HRIAKit
import HRIAPostgres

/// `hria store`: where the workspace's assessments are kept, and moving them between files and PostgreSQL.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Where the assessments are kept: files in the workspace, or a PostgreSQL database.",
        discussion: "A workspace keeps its assessments in files unless store: postgresql://USER@HOST:PORT/DB in hria.yaml, or "
            + "HRIA_STORE, names a database (HRIA_STORE=files keeps them in files). The password comes from PGPASSWORD or a "
            + "password file (PGPASSFILE, else ~/.pgpass), never from hria.yaml; sslmode as libpq reads it. docs/STORE.md.",
        subcommands: [Show.self, Migrate.self, Copy.self],
        defaultSubcommand: Show.self
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Say where the assessments are kept and how many there are.")
        @OptionGroup var global: ReadOptions

        func run() throws {
            let workspace = try global.openWorkspace()
            let ids = try workspace.assessmentIDs()
            print("assessments are kept in \(workspace.store.description): \(ids.count) assessment\(ids.count == 1 ? "" : "s")")
            if let database = workspace.store as? PostgresStore {
                print("schema version \(try database.migrate().after) (this hria knows up to \(StoreSchema.latestVersion))")
            }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Bring the database's tables up to this hria's schema.",
            discussion: "Applies each numbered migration not yet applied, in its own transaction, one process at a time. Every "
                + "command also does this when it first uses a database; this command does it on purpose and says what it did.")
        @OptionGroup var global: ReadOptions

        func run() throws {
            let workspace = try global.openWorkspace()
            guard let database = workspace.store as? PostgresStore else {
                throw HRIAError.badInput("this workspace keeps its assessments in files, which have no schema to migrate",
                                         help: "set store: postgresql://USER@HOST:PORT/DB in hria.yaml, or HRIA_STORE, to use a database")
            }
            let (before, after, applied) = try database.migrate()
            if applied.isEmpty {
                print("\(database.description) is at schema version \(after), the latest this hria knows; nothing to do")
            } else {
                for migration in applied { print("applied migration \(migration.version): \(migration.description)") }
                print("\(database.description) is now at schema version \(after) (was \(before))")
            }
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy the assessments into another store, byte for byte, and verify each copy there.",
            discussion: "TARGET is a database (postgresql://USER@HOST:PORT/DB) or a workspace folder, whose assessments/ receives "
                + "the copies. Only assessments that verify here are copied; each copy is verified in the target with the same "
                + "key before it counts. One the target already holds with the same log is left as it is, so the command can "
                + "be run again after an interruption. Afterwards, point store: (or HRIA_STORE) at the target.")
        @Option(help: ArgumentHelp("Where to copy to.", valueName: "postgresql://…|DIR")) var to: String
        @Argument(help: ArgumentHelp("The assessments to copy (default: all).", valueName: "ID"), completion: Completions.assessments)
        var ids: [String] = []
        @OptionGroup var global: ReadOptions

        func run() throws {
            let workspace = try global.openWorkspace()
            let target: any AssessmentStore
            if to.contains("://") {
                if let problem = StoreAddress.problem(to, inConfiguration: false) {
                    throw HRIAError.badInput("--to: " + problem.message, help: problem.help)
                }
                target = try PostgresStoreOpener().open(address: to, origin: workspace.configuration.origin)
            } else {
                let folder = Paths.join(global.absolute(to), "assessments")
                if let files = workspace.store as? FileAssessmentStore, Paths.absolute(files.folder, from: "/") == folder {
                    throw HRIAError.badInput("--to names this workspace's own assessments folder", help: "give another folder or a database")
                }
                target = FileAssessmentStore(folder: folder)
            }
            let targets = ids.isEmpty ? try workspace.assessmentIDs() : ids
            var firstFailure: HRIAError?
            for id in targets {
                do throws(HRIAError) {
                    switch try workspace.copy(id, to: target) {
                    case .copied(let events, let checkpoints, let evidence, let disclosures, let root):
                        print("copied \(id): \(events) events, \(checkpoints) checkpoints, \(evidence) evidence files, "
                              + "\(disclosures) confidential values; verified in \(target.description) (root \(root.base64))")
                    case .alreadyThere(let events):
                        print("\(id) is already in \(target.description) with the same \(events) events; left as it is")
                    }
                } catch {
                    // The others are still copied; the first failure decides the exit status.
                    Output.error(error)
                    if firstFailure == nil { firstFailure = error }
                }
            }
            if let firstFailure { throw ExitCode(firstFailure.status.rawValue) }
        }
    }
}

