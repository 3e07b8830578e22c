import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every hash and signature from the stored bytes and report any damage.",
        discussion: """
        With assessment ids (or --all): the hash chain, event signatures, every stored checkpoint, evidence files, \
        the workflow snapshot and confidential values. With --against, also consistency with a checkpoint obtained \
        elsewhere: this is what catches truncation and forks. With --proof, checks an inclusion proof made by \
        hria prove, without any workspace. Exit status: 0 verified, 3 damage found, 2 bad input.
        """
    )

    @Argument(help: ArgumentHelp("Assessments to verify.", valueName: "ID"), completion: Completions.assessments) var ids: [String] = []
    @Flag(help: "Verify every assessment in the workspace, and its roster.") var all = false
    @Flag(help: "Verify the roster: every change signed by an admin with the key valid then, its rules, its checkpoints.") var roster = false
    @Option(help: ArgumentHelp("A checkpoint published elsewhere, to check this log against.", valueName: "CHECKPOINT-FILE"))
    var against: String?
    @Option(help: ArgumentHelp("An inclusion proof file from hria prove.", valueName: "FILE")) var proof: String?
    @Option(help: ArgumentHelp("A public bundle from hria export, checked with no workspace.", valueName: "DIR")) var bundle: String?
    // Disclosures and keys are base64 and may start with "-": read the next word whatever it looks like.
    @Option(parsing: .unconditional, help: ArgumentHelp("A disclosure to check against the event it belongs to.", valueName: "TEXT"))
    var disclosure: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The log's verifier key (default: log_key from hria.yaml).", valueName: "KEY"))
    var key: String?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var global: ReadOptions

    /// Which of the three modes (assessments of this workspace, a proof file, a bundle folder) and which options
    /// fit it: settled here, before anything is read.
    func validate() throws {
        let modes = [(proof != nil, "--proof"), (bundle != nil, "--bundle"), (all, "--all"), (!ids.isEmpty, "assessment ids"), (roster, "--roster")]
            .filter(\.0).map(\.1)
        if modes.count > 1 {
            throw ValidationError("give one of assessment ids, --all, --roster, --proof FILE or --bundle DIR, not " + modes.joined(separator: " and "))
        }
        if modes.isEmpty {
            throw ValidationError("what should be verified? give assessment ids, --all, --roster, --proof FILE or --bundle DIR")
        }
        if against != nil, proof != nil {
            throw ValidationError("--against checks a log or a bundle, not a proof (a proof carries its own checkpoint)")
        }
        if against != nil, all || ids.count > 1 {
            throw ValidationError("--against checks one assessment; give exactly one id")
        }
        if disclosure != nil, bundle != nil || roster {
            throw ValidationError("--disclosure is checked with assessment ids or with --proof, not with --bundle or --roster")
        }
    }

    func run() throws {
        if let proof { return try verifyProof(proof) }
        if let bundle { return try verifyBundle(bundle) }
        // An explicit --workspace means the workspace, as for every command.
        if global.workspace == nil, let server = ProcessInfo.processInfo.environment["HRIA_SERVER"], !server.isEmpty { return try verifyThrough(server) }
        let workspace = try global.openWorkspace()
        if roster { return try verifyRoster(workspace) }
        let targets = all ? try workspace.assessmentIDs() : ids
        if targets.isEmpty { throw HRIAError.badInput("--all: the workspace has no assessments yet") }
        let externalCheckpoint = try against.map { path throws(HRIAError) in
            try WorkflowSource.readBytes(global.absolute(path), displayName: path, limit: 1 << 20)
        }
        let verifier = try key.map { k throws(HRIAError) in try parseKey(k) } ?? workspace.logVerifier()
        var reports: [VerificationReport] = []
        // The roster first: every assessment's acts are judged against it.
        let rosterReport = all && workspace.rosterLog.exists ? try workspace.verifyRoster(key: verifier).report : nil
        if let rosterReport { reports.append(rosterReport) }
        for id in targets {
            var report = try workspace.verify(id, against: externalCheckpoint, key: verifier)
            if let disclosure, report.ok, let standing = report.standing {
                if let problem = checkDisclosure(disclosure, in: try workspace.log(id).events(upTo: standing.position)) {
                    report.problems.append(problem)
                }
            }
            reports.append(report)
        }
        if json {
            var object: [String: JSONValue] = ["ok": .bool(reports.allSatisfy(\.ok)),
                                               "assessments": .array(reports.filter { $0.id != "roster" || rosterReport == nil }.map(\.json))]
            if let rosterReport { object["roster"] = rosterReport.json }
            print(JSONValue.object(object).rendered(pretty: true))
        } else {
            for report in reports { print(report.text, terminator: "") }
        }
        if !reports.allSatisfy(\.ok) { throw ExitCode(ExitStatus.integrity.rawValue) }
    }

    func verifyRoster(_ workspace: Workspace) throws {
        let externalCheckpoint = try against.map { path throws(HRIAError) in
            try WorkflowSource.readBytes(global.absolute(path), displayName: path, limit: 1 << 20)
        }
        let verifier = try key.map { k throws(HRIAError) in try parseKey(k) } ?? workspace.logVerifier()
        let report = try workspace.verifyRoster(against: externalCheckpoint, key: verifier).report
        if json {
            print(JSONValue.object(["ok": .bool(report.ok), "roster": report.json]).rendered(pretty: true))
        } else {
            print(report.text, terminator: "")
        }
        if !report.ok { throw ExitCode(ExitStatus.integrity.rawValue) }
    }

    func verifyBundle(_ path: String) throws {
        let folder = global.absolute(path)
        let externalCheckpoint = try against.map { p throws(HRIAError) in
            try WorkflowSource.readBytes(global.absolute(p), displayName: p, limit: 1 << 20)
        }
        let (report, manifest) = try PublicBundle.verify(folder: folder, pinnedKey: key, against: externalCheckpoint)
        if json {
            print(JSONValue.object(["ok": .bool(report.ok), "assessments": .array([report.json])]).rendered(pretty: true))
        } else {
            print(report.text, terminator: "")
        }
        if !report.ok { throw ExitCode(ExitStatus.integrity.rawValue) }
        // A reader of a bundle downloaded from a server's public page (which has nowhere to say it) learns here
        // what hria export noted when it left an entry bundle out: what the bundle holds is complete without it.
        for note in PublicBundle.leftOutNotes(inBundle: folder, manifest: manifest) {
            Output.standardError("hria: note: \(DisplayText.escape(note))\n")
        }
    }

    /// With HRIA_SERVER: each assessment's public bundle is downloaded and verified here, with the key the reader
    /// pins; the server's word is taken for nothing.
    func verifyThrough(_ server: String) throws {
        guard !all, !roster else {
            throw HRIAError.badInput("through a server, hria verify checks the assessments you name (each bundle carries its roster)",
                                     help: "give their ids: hria verify ID… --key KEY")
        }
        guard let key else {
            throw HRIAError.badInput("through a server, give the log's verifier key with --key: the key a server hands over proves nothing about it",
                                     help: "the organisation publishes it (log_key in its hria.yaml, and in every bundle's bundle.json)")
        }
        _ = try parseKey(key)
        let externalCheckpoint = try against.map { path throws(HRIAError) in
            try WorkflowSource.readBytes(global.absolute(path), displayName: path, limit: 1 << 20)
        }
        var reports: [VerificationReport] = []
        for id in ids {
            reports.append(try ServerClient.verifyPublished(base: server, id: id, pinnedKey: key, against: externalCheckpoint))
        }
        if json {
            print(JSONValue.object(["ok": .bool(reports.allSatisfy(\.ok)), "assessments": .array(reports.map(\.json))]).rendered(pretty: true))
        } else {
            for report in reports { print(report.text, terminator: "") }
        }
        if !reports.allSatisfy(\.ok) { throw ExitCode(ExitStatus.integrity.rawValue) }
    }

    func parseKey(_ text: String) throws(HRIAError) -> NoteVerifier {
        do {
            return try NoteVerifier(verifierKey: text)
        } catch {
            throw .badInput("--key is not a valid verifier key: \(error)")
        }
    }

    /// Checks that a disclosure's digest is listed by an event; prints what it discloses.
    func checkDisclosure(_ text: String, in events: [Event]) -> VerificationProblem? {
        guard let opened = Disclosure(encoded: text) else {
            return VerificationProblem(kind: .disclosure, seq: nil, message: "the disclosure is not base64url of [salt, name, value]")
        }
        let digest = opened.digest
        guard let event = events.first(where: { $0.sd.contains(digest) }) else {
            return VerificationProblem(kind: .disclosure, seq: nil,
                                       message: "no event lists the digest \(digest) of this disclosure: it was altered or belongs elsewhere")
        }
        print("disclosure of \(opened.name) matches digest \(digest) listed by event \(event.seq) (\(event.type.rawValue), \(event.timeText))")
        return nil
    }

    func verifyProof(_ path: String) throws {
        let bytes = try WorkflowSource.readBytes(global.absolute(path), displayName: path,
                                                 limit: 1 << 22)
        let file = try InclusionProofFile.parse(bytes)
        let verifier: NoteVerifier
        if let key {
            verifier = try parseKey(key)
        } else if let root = try global.workspaceRoot() {
            verifier = try Workspace.open(root: root).logVerifier()
            // As verify --bundle says when it uses the key a bundle ships: say which key was trusted.
            Output.standardError("hria: note: checked with this workspace's log key; a reader elsewhere pins the organisation's "
                                 + "published key with --key\n")
        } else {
            throw HRIAError.badInput("give the log's verifier key with --key (outside a workspace there is nothing to trust by default)",
                                     help: "the organisation publishes it (log_key in its hria.yaml, and in every bundle's bundle.json)")
        }
        let (checkpoint, event) = try file.verify(verifier: verifier)
        if let disclosure {
            if let problem = checkDisclosure(disclosure, in: [event]) {
                throw HRIAError(.integrity, problem.message)
            }
        }
        if json {
            print(JSONValue.object(["ok": .bool(true), "origin": .string(checkpoint.origin), "size": .int(checkpoint.size),
                                    "root": .string(checkpoint.rootHash.base64), "index": .int(file.index),
                                    "event": (try? JSONParser.parse(event.line)) ?? .null]).rendered(pretty: true))
        } else {
            print("verified: event \(event.seq) (\(event.type.rawValue) by \(event.actor), \(event.timeText)) is in the log "
                  + "\(checkpoint.origin) of \(checkpoint.size) events, root \(checkpoint.rootHash.base64)")
            // What the proven event says, in the words hria log uses.
            let when = event.timeText.replacingOccurrences(of: "T", with: " ").dropLast(4)
            print("#\(event.seq)  \(when)  \(event.actor)  \(DisplayText.escape(HistoryReport.sentence(event, workflow: nil)))")
        }
    }
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "checkpoint",
                                                    abstract: "Print an assessment's latest signed checkpoint (publish it somewhere the organisation cannot rewrite).")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String?
    @Flag(help: "The roster's latest checkpoint instead (publish it too: it pins who was entitled to act).") var roster = false
    @OptionGroup var global: ReadOptions

    func validate() throws {
        if roster == (id != nil) { throw ValidationError("give an assessment id, or --roster") }
    }

    func run() throws {
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        guard let id else {
            // Never printed for a roster that does not verify.
            guard try workspace.roster() != nil, let bytes = CheckpointFiles(log: workspace.rosterLog.files).latest() else {
                throw HRIAError.badInput("this workspace has no roster yet")
            }
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        // A checkpoint is published as a promise about the log: never print one for a log that does not verify.
        _ = try workspace.standing(id)
        guard let bytes = workspace.log(id).latestCheckpoint() else {
            throw HRIAError(.integrity, "assessment \(id) has no checkpoint", help: "run hria verify \(id)")
        }
        FileHandle.standardOutput.write(Data(bytes))
    }
}

struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prove",
                                                    abstract: "Write an inclusion proof for one event, checkable offline with hria verify --proof.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Argument(help: ArgumentHelp("The event's number.", valueName: "SEQ")) var seq: Int
    @Option(help: ArgumentHelp("Write the proof to this file instead of standard output.", valueName: "FILE")) var output: String?
    @OptionGroup var global: ReadOptions

    func run() throws {
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let proofFile = try workspace.proof(id, seq: seq)
        let bytes = proofFile.rendered()
        if let output {
            try OutputFile.write(bytes, to: global.absolute(output), displayName: output)
            print("wrote the proof of event \(seq) to \(output); check it with: hria verify --proof \(output) --key \"\(workspace.configuration.logKey ?? "")\"")
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Personal signing keys for signed events.",
                                                    subcommands: [New.self, Show.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Make a person's Ed25519 SSH key in their own key folder (${XDG_CONFIG_HOME:-~/.config}/hria/keys/), never in the workspace.")
        @Argument(help: ArgumentHelp("Your person id.", valueName: "PERSON")) var person: String
        @OptionGroup var global: LocalOptions

        func validate() throws {
            guard Person.isValidID(person), person != Person.systemID else {
                throw ValidationError("\"\(DisplayText.escape(person))\" is not a usable person id: lower-case letters, digits, ., _ and -")
            }
        }

        func run() throws {
            // Made on the person's own machine, with no workspace needed: the key is theirs, not the workspace's.
            let personal = PersonalKeys(environment: ProcessInfo.processInfo.environment)
            let key = try personal.make(for: person)
            print("made an SSH key for \(person) in \(personal.folder)/\(person) (private, mode 0600; the public half is \(person).pub)")
            print("give an admin the public key, to put on the roster:")
            print("  hria people add \(person) --name \"…\" --role ROLE --key \"\(key.publicKey.authorizedKey)\"")
            print("or, if \(person) is on the roster already:")
            print("  hria people key \(person) \(key.publicKey.authorizedKey)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show",
                                                        abstract: "Print the public half of a person's key in your key folder, to give an admin.")
        @Argument(help: ArgumentHelp("The person.", valueName: "PERSON")) var person: String
        @OptionGroup var global: LocalOptions

        func run() throws {
            guard let key = try PersonalKeys(environment: ProcessInfo.processInfo.environment).key(of: person) else {
                throw HRIAError.badInput("\(person) has no key on this machine", help: "make one with hria keys new \(person)")
            }
            print(key.publicKey.authorizedKey)
        }
    }
}
