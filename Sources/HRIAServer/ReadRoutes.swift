import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// The query of a read route: only the parameters the route documents, each given once unless it may repeat. A
/// misspelt filter is refused rather than ignored, so an auditor is never shown everything when they asked for less.
struct ReadQuery {
    private var values: [String: [String]] = [:]

    init(_ request: Request, takes names: [String], repeating: Set<String> = []) throws {
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard names.contains(name) else {
                throw Problem.badInput("unknown query parameter \"\(DisplayText.escape(name))\"",
                                       help: Suggestions.closest(to: name, in: names).map { "did you mean \"\($0)\"?" }
                                           ?? (names.isEmpty ? "this route takes no query parameters" : "this route takes " + names.joined(separator: ", ")))
            }
            values[name, default: []].append(String(value))
        }
        for (name, given) in values where given.count > 1 && !repeating.contains(name) {
            throw Problem.badInput("\(name) is given \(given.count) times; give it once")
        }
    }

    func value(_ name: String) -> String? { values[name]?.first }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// One of `choices`, or `fallback` when the parameter is not given.
    func choice(_ name: String, among choices: [String], fallback: String) throws -> String {
        guard let given = value(name) else { return fallback }
        guard choices.contains(given) else {
            throw Problem.badInput("\(name) \"\(DisplayText.escape(given))\" is not one of " + choices.joined(separator: ", "))
        }
        return given
    }

    /// `true` or `false`; false when the parameter is not given.
    func flag(_ name: String) throws -> Bool {
        try choice(name, among: ["true", "false"], fallback: "false") == "true"
    }
}

extension Response {
    /// A document the command line would print, as it prints it. `cache` is `no-store` for what a signed person reads
    /// (it may hold confidential values, and is theirs alone), `no-cache` for what the workspace publishes.
    static func document(_ bytes: [UInt8], type: String, cache: String = "no-store", filename: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = cache
        // Reports and drawings carry text people wrote: a browser opening one runs nothing and loads nothing.
        if type.hasPrefix("text/html") || type.hasPrefix("image/svg+xml") {
            headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
        }
        headers[.xContentTypeOptions] = "nosniff"
        if let filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func document(_ text: String, type: String, cache: String = "no-store") -> Response {
        document(Array(text.utf8), type: type, cache: cache)
    }
}

extension HRIAServer {
    /// The read-only routes: what `hria log`, `report`, `checkpoint`, `prove`, `export --public` and `people list`
    /// print, each made by the same HRIAKit calls as the command, from the assessment as it verifiably stands. The
    /// signed ones answer any person on the roster whose signature verifies; what the workspace publishes (the public
    /// report and bundle) is also answered without a signature under /public.
    func addReadRoutes(to router: Router<HRIARequestContext>) {
        let signed = SignedRequests(server: self, nonces: nonces)
        let assessments = router.group("api/v1/assessments").add(middleware: signed)

        assessments.get(":id/log") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["format", "actor", "since", "until", "type", "stage"],
                                      repeating: ["actor", "type", "stage"])
            let format = try query.choice("format", among: ["json", "text", "csv"], fallback: "json")
            let filter: LogFilter
            do throws(HRIAError) {
                filter = try LogFilter(actors: query.all("actor"), stages: query.all("stage"), types: query.all("type"),
                                       since: query.value("since"), until: query.value("until")) { $0 }
            } catch {
                throw Problem(error)
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // load() reads the history from the verified standing only: a log that does not verify gives nothing.
                let loaded = try workspace.load(try Self.existing(id, in: workspace))
                switch format {
                case "text": return Response.document(HistoryReport.text(loaded, filter: filter), type: "text/plain; charset=utf-8")
                case "csv": return Response.document(HistoryReport.csv(loaded, filter: filter), type: "text/csv; charset=utf-8")
                default: return Response.document(HistoryReport.json(loaded, filter: filter).rendered(pretty: true) + "\n", type: "application/json")
                }
            }
        }

        assessments.get(":id/report") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["format", "public"])
            let format = try query.choice("format", among: ["md", "html"], fallback: "md")
            let isPublic = try query.flag("public")
            return try await self.blocking {
                try Self.report(id, format: format, isPublic: isPublic, workspace: try context.workspace ?? self.openWorkspace())
            }
        }

        assessments.get(":id/checkpoint") { request, context in
            let id = try context.parameters.require("id")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let checked = try Self.existing(id, in: workspace)
                // A checkpoint is a promise about the log: never given for a log that does not verify (as hria checkpoint).
                _ = try workspace.standing(checked)
                guard let bytes = workspace.log(checked).latestCheckpoint() else {
                    throw HRIAError(.integrity, "assessment \(checked) has no checkpoint", help: "run hria verify \(checked)")
                }
                return Response.document(bytes, type: "text/plain; charset=utf-8", cache: "no-cache")
            }
        }

        assessments.get(":id/prove") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["seq", "format"])
            // text: the proof file itself; json: the proof with the log key to check it with (ServiceWire.ProofAnswer).
            let format = try query.choice("format", among: ["text", "json"], fallback: "text")
            guard let text = query.value("seq") else {
                throw Problem.badInput("say which event to prove: seq=N", help: "hria log lists the events and their numbers")
            }
            guard let seq = Int(text), seq >= 0, String(seq) == text else {
                throw Problem.badInput("seq \"\(DisplayText.escape(text))\" is not an event number (0, 1, 2…)")
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let proof: InclusionProofFile
                do {
                    proof = try workspace.proof(try Self.existing(id, in: workspace), seq: seq)
                } catch let error as HRIAError where error.status == .badInput {
                    // A well-formed number naming an event the log does not have, or not yet under a checkpoint.
                    var problem = Problem(error)
                    problem.status = .unprocessableContent
                    throw problem
                }
                if format == "json" {
                    return Response.json(ServiceWire.ProofAnswer(proof: proof.rendered(), logKey: workspace.configuration.logKey ?? "").json)
                }
                return Response.document(proof.rendered(), type: "text/plain; charset=utf-8")
            }
        }

        assessments.get(":id/bundle") { request, context in
            let id = try context.parameters.require("id")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking { try Self.bundle(id, workspace: try context.workspace ?? self.openWorkspace(), cache: "no-store") }
        }

        assessments.get(":id/disclosures") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["format"])
            let format = try query.choice("format", among: ["json", "text"], fallback: "json")
            let signer = try context.signer.orUnauthorized()
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // From the verified standing, as hria disclosures reads it: a log that does not verify lists nothing.
                let loaded = try workspace.load(try Self.existing(id, in: workspace))
                let reader = try workspace.person(signer)
                do throws(Refusal) {
                    try DisclosureReport.checkReader(reader, workflow: loaded.workflow, id: id)
                } catch {
                    ServerMetrics.refusedRequests.increment()
                    var problem = Problem(status: .forbidden, kind: "forbidden", title: "Not allowed to read this", detail: error.summary,
                                          exitCode: ExitStatus.refused.rawValue)
                    problem.data = ServiceWire.refusal(RefusalText(error))
                    throw problem
                }
                // The map of digests, items and fields; never a value (DisclosureReport reads none into its rows).
                let rows = DisclosureReport.rows(loaded, disclosures: workspace.disclosures(id))
                if format == "text" { return Response.document(DisclosureReport.text(rows, id: id), type: "text/plain; charset=utf-8") }
                return Response.document(DisclosureReport.json(rows).rendered(pretty: true) + "\n", type: "application/json")
            }
        }

        assessments.get(":id/verify") { request, context in
            let id = try context.parameters.require("id")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // Verified in full, from the stored bytes, as hria verify ID does: never from a snapshot.
                let report = try workspace.verify(try Self.existing(id, in: workspace))
                let answer = Self.verification(report)
                guard report.ok else {
                    // Fail closed: damage is never a 200, so a client that looks at the status alone is not misled.
                    var problem = Problem(HRIAError(.integrity, "\(id) does not verify: \(report.firstProblem ?? "unknown damage")",
                                                    help: report.restoreHelp(for: workspace.log(id))))
                    problem.verification = answer
                    throw problem
                }
                return Response.json(answer)
            }
        }

        let roster = router.group("api/v1/roster").add(middleware: signed)
        roster.get("people/:person") { request, context in
            let id = try context.decodedParameter("person")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                guard let standing = try workspace.roster() else {
                    throw Problem.notFound(Workspace.noRosterYet.message, help: Workspace.noRosterYet.help)
                }
                guard let member = standing.roster.member(id) else {
                    let unknown = RosterReport.unknownPerson(id)
                    throw Problem.notFound(unknown.message, help: unknown.help)
                }
                // As hria people show prints it, names kept confidential shown as on the machine that holds them.
                let text = RosterReport.show(member, events: standing.events, name: workspace.confidentialNames()[id])
                return Response.document(DisplayText.escape(text, keepingLineBreaks: true), type: "text/plain; charset=utf-8")
            }
        }

        roster.get("allowed-signers") { request, context in
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                Response.document(try (context.workspace ?? self.openWorkspace()).allowedSigners(), type: "text/plain; charset=utf-8")
            }
        }

        roster.get { request, context in
            let query = try ReadQuery(request, takes: ["format"])
            let format = try query.choice("format", among: ["json", "text"], fallback: "json")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // The roster as it verifiably stands (one that does not verify is an integrity error), as hria people list.
                guard let standing = try workspace.roster() else {
                    throw Problem.notFound(Workspace.noRosterYet.message, help: Workspace.noRosterYet.help)
                }
                let names = workspace.confidentialNames()
                if format == "text" {
                    return Response.document(RosterReport.list(standing.roster, names: names), type: "text/plain; charset=utf-8")
                }
                return Response.document(RosterReport.json(standing.roster, names: names).rendered() + "\n", type: "application/json")
            }
        }

        // What the workspace publishes, for anyone: the public report and the public bundle hold no confidential value
        // (hria export --public writes the same), and the checkpoint is on the read path at /logs/ID/checkpoint.
        router.get("public/:id/report") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["format"])
            let format = try query.choice("format", among: ["md", "html"], fallback: "md")
            return try await self.blocking { try Self.report(id, format: format, isPublic: true, signed: false, workspace: try self.openWorkspace(), cache: "no-cache") }
        }
        router.get("public/:id/bundle") { request, context in
            let id = try context.parameters.require("id")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking { try Self.bundle(id, signed: false, workspace: try self.openWorkspace(), cache: "no-cache") }
        }
    }

    /// `hria report ID [--public] --format md|html`, from a log verified in full.
    static func report(_ id: String, format: String, isPublic: Bool, signed: Bool = true, workspace: Workspace, cache: String = "no-store") throws -> Response {
        let record = try workspace.decisionRecord(try existing(id, in: workspace, signed: signed), isPublic: isPublic, now: ServerClock.now())
        if format == "html" { return Response.document(DecisionReport.html(record), type: "text/html; charset=utf-8", cache: cache) }
        return Response.document(DecisionReport.markdown(record), type: "text/markdown; charset=utf-8", cache: cache)
    }

    /// The public decision record a bundle holds. No bundle of a log that does not verify: the refusal names every
    /// problem the server found instead, since the reader gets nothing to check themselves (verified again only on
    /// this path, which is rare).
    /// A verification as `hria verify ID --json` prints it: whether it passed, and the assessment's report.
    static func verification(_ report: VerificationReport) -> JSONValue {
        .object(["ok": .bool(report.ok), "assessments": .array([report.json])])
    }

    static func publicRecord(_ id: String, workspace: Workspace, now: Date) throws -> DecisionRecord {
        let failure: HRIAError
        do {
            return try workspace.decisionRecord(id, isPublic: true, now: now)
        } catch {
            failure = error
        }
        guard failure.status == .integrity else { throw failure }
        var problem = Problem(failure)
        if let report = try? workspace.verify(id), !report.ok {
            problem.verification = Self.verification(report)
        }
        throw problem
    }

    /// The largest public bundle served as one archive: it is built in memory.
    static let largestBundle = 1 << 30

    /// `hria export ID --public DIR`, written into a folder only this process can read, then handed over as one ustar
    /// archive of exactly the files that command writes, under one folder named by the id (so extracting it never
    /// scatters files where it is extracted); the scratch folder is removed whatever happens.
    static func bundle(_ id: String, signed: Bool = true, workspace: Workspace, cache: String) throws -> Response {
        let checked = try existing(id, in: workspace, signed: signed)
        let now = ServerClock.now()
        let record = try publicRecord(checked, workspace: workspace, now: now)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hria-bundle-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HRIAError(.internalError, "could not make a folder to build the bundle in: \(error)")
        }
        defer { workspace.fs.removeTree(scratch) }
        let folder = Paths.join(scratch, checked)
        // Entry bundles too long for tlog-tiles are left out of any bundle; its log and hash tiles still hold them.
        let (files, _) = try workspace.exportPublicBundle(checked, to: folder, reportHTML: DecisionReport.html(record),
                                                          reportMarkdown: DecisionReport.markdown(record))
        let paths = Set(files).sorted()
        let total = paths.reduce(0) { $0 + (workspace.fs.stamp(Paths.join(folder, $1))?.size ?? 0) }
        guard total <= largestBundle else {
            throw Problem(status: .notImplemented, kind: "bundle-too-large", title: "Bundle too large to serve",
                          detail: "the public bundle of \(checked) is \(total) bytes; this server builds a bundle in memory and serves at most \(largestBundle)",
                          help: "run hria export \(checked) --public DIR on the workspace", exitCode: ExitStatus.badInput.rawValue)
        }
        var archive = TarArchive(modified: now)
        do {
            for path in paths { try archive.add(file: checked + "/" + path, contents: try workspace.fs.readAll(Paths.join(folder, path))) }
        } catch let error as TarArchive.Unrepresentable {
            throw HRIAError(.internalError, "the bundle of \(checked) cannot be put in an archive: \(error)")
        } catch {
            throw HRIAError(.internalError, "the bundle of \(checked) could not be read back: \(error)")
        }
        return Response.document(archive.finished(), type: "application/x-tar", cache: cache, filename: "\(checked)-public.tar")
    }
}
