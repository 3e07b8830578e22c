import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case md, html
}

/// Builds the decision record of one assessment, verifying it in full so the report states the result; a log that
/// does not verify gives no report (exit 3). The server makes the same record through the same HRIAKit call.
func decisionRecord(_ workspace: Workspace, _ id: String, isPublic: Bool, now: Date) throws -> DecisionRecord {
    try workspace.decisionRecord(id, isPublic: isPublic, now: now)
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The decision record of an assessment, or the portfolio of all of them, as Markdown or HTML.",
        discussion: "Without --public the report includes confidential values from private/: it is for internal use only."
    )
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String?
    @Option(help: "md or html.") var format: ReportFormat = .md
    @Flag(help: "Leave out every confidential value, for publication.") var `public` = false
    @Flag(help: "Report on every assessment instead of one.") var portfolio = false
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE")) var output: String?
    @OptionGroup var bundle: BundleOptions
    @OptionGroup var global: ReadOptions

    func validate() throws {
        if bundle.bundle != nil {
            if portfolio { throw ValidationError("--portfolio reports on a workspace, not on a bundle") }
            return
        }
        if portfolio == (id != nil) { throw ValidationError("give an assessment id, or --portfolio") }
    }

    func run() throws {
        let now = try global.now()
        if let opened = try bundle.open(id: id, context: global) {
            // A bundle holds nothing confidential: its report is the public version, whatever was asked.
            let record = DecisionRecord.build(opened.assessment, organisation: opened.manifest.organisation, verification: opened.verification,
                                              checkpointText: opened.checkpointText, disclosures: nil, now: now, names: opened.publishedNames)
            let text = format == .md ? DecisionReport.markdown(record) : DecisionReport.html(record)
            if let output {
                try OutputFile.write(Array(text.utf8), to: global.absolute(output), displayName: output, permissions: 0o644)
                print("wrote \(output)")
            } else {
                print(text, terminator: "")
            }
            return
        }
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let text: String
        if portfolio {
            text = try workspace.portfolio(html: format == .html, now: now)
        } else if let id {
            let record = try decisionRecord(workspace, id, isPublic: `public`, now: now)
            text = format == .md ? DecisionReport.markdown(record) : DecisionReport.html(record)
        } else {
            return
        }
        if let output {
            // A report with confidential values is readable by its writer alone.
            try OutputFile.write(Array(text.utf8), to: global.absolute(output),
                                 displayName: output, permissions: `public` || portfolio ? 0o644 : 0o600)
            print("wrote \(output)")
        } else {
            print(text, terminator: "")
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a publishable bundle: log, checkpoints, verifier key, workflow, public report, evidence files; nothing from private/."
    )
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Option(help: ArgumentHelp("The folder to create (must not exist, or be empty).", valueName: "DIR")) var `public`: String
    @OptionGroup var global: ReadOptions

    func run() throws {
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let now = try global.now()
        let record = try decisionRecord(workspace, id, isPublic: true, now: now)
        guard record.verification.ok else {
            throw HRIAError(.integrity, "\(id) does not verify, so it is not exported", help: "run hria verify \(id)")
        }
        let destination = global.absolute(`public`)
        let (files, notes) = try workspace.exportPublicBundle(id, to: destination,
                                                              reportHTML: DecisionReport.html(record), reportMarkdown: DecisionReport.markdown(record))
        for note in notes { Output.standardError("hria: note: \(DisplayText.escape(note))\n") }
        print("wrote a public bundle of \(id) to \(`public`) (\(files.count) files, nothing from private/)")
        print("check it anywhere with: hria verify --bundle \(`public`) --key \"\(workspace.configuration.logKey ?? "")\"")
    }
}

struct DisclosuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclosures",
        abstract: "List every confidential value of an assessment by digest: its item, its field, kept or erased (never the value).",
        discussion: "For hria erase and for disclosing one value to someone who holds the public log: the digest names it. "
            + "Reads this workspace's private folder, so it is for internal use.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var global: ReadOptions

    func run() throws {
        if let server = try ServerClient.fromEnvironment(actor: global.actor) { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let loaded = try workspace.load(id)
        let rows = DisclosureReport.rows(loaded, disclosures: workspace.disclosures(id))
        if json {
            print(DisclosureReport.json(rows).rendered(pretty: true))
        } else {
            print(DisclosureReport.text(rows, id: id), terminator: "")
        }
    }
}

struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Delete a confidential value's plaintext for good; the log records it and still verifies."
    )
    // A digest is base64url and one in 64 starts with "-", which would read as an option. The parser takes every
    // word it does not know as an option as a positional here, and validate() wants exactly ID and DIGEST.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The assessment, then the disclosure digest as listed in an event's _sd.",
                                                             valueName: "ID DIGEST"))
    var words: [String] = []
    @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
    @OptionGroup var global: GlobalOptions

    var id: String { words[0] }
    var digest: String { words[1] }

    func validate() throws {
        guard words.count == 2 else {
            let extra = words.dropFirst(2).first { $0.hasPrefix("-") }
            throw ValidationError(extra.map { "unknown option \($0)" }
                                  ?? "give the assessment id and the disclosure digest (\(words.count) word\(words.count == 1 ? "" : "s") given)")
        }
    }

    func run() throws {
        let events: [Event]
        if let server = try global.server() {
            events = try server.perform(id, .erase(digest: digest, reason: reason)).events
        } else {
            let workspace = try global.openWorkspace()
            let actor = try global.person(in: workspace)
            events = try workspace.erase(id, digest: digest, reason: reason, actor: actor, clock: try global.clock())
        }
        Output.recorded(events.filter { $0.type == .recoveryTruncated }) { _ in "" }
        if let event = events.first(where: { $0.type == .disclosureErased }) {
            print("recorded #\(event.seq): erased the confidential value \(digest.prefix(12))…; its plaintext is deleted")
        } else {
            print("the erasure of \(digest.prefix(12))… was already recorded; its plaintext is now deleted")
        }
    }
}
