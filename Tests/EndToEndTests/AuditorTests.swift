import Foundation
import HRIAKit
import Testing

/// An outside auditor holds only a public bundle (issue 15): hria's own commands answer who did what, when, under
/// which role and on what evidence, export it to a spreadsheet, and refuse a bundle that does not verify.
@Suite("Auditors work from the public record alone")
struct AuditorTests {
    static let id = Hearing.id

    @Test("log, status and report read a bundle with no workspace, only once it verifies; the report is the workspace's public one",
          arguments: TestWorkspace.Mode.allCases)
    func readingABundle(mode: TestWorkspace.Mode) throws {
        let (ws, bundle, auditor) = try BundleTests.exported("hria-auditor-read", mode: mode)
        defer { ws.cleanUp() }
        let key = try ws.logKey
        let fromWorkspace = try ws.ok(["log", Self.id]).stdout
        // Checked with the key the bundle ships: said on standard error; with the published key pinned, nothing to say.
        let shipped = try ws.ok(["log", "--bundle", bundle.path], in: auditor)
        #expect(shipped.stdout == fromWorkspace, "the bundle's history is the workspace's")
        #expect(shipped.stderr.contains("note: checked with the key the bundle itself ships"), "\(shipped.stderr)")
        let pinned = try ws.ok(["log", Self.id, "--bundle", bundle.path, "--key", key], in: auditor)
        #expect(pinned.stdout == fromWorkspace && pinned.stderr.isEmpty, "\(pinned.stderr)")
        try ws.bad(["log", "other", "--bundle", bundle.path], message: "the bundle holds assessment \(Self.id), not other", environment: [:])

        let status = try ws.ok(["status", "--bundle", bundle.path, "--key", key], at: Hearing.reportTime, in: auditor).stdout
        #expect(status == (try ws.ok(["status", Self.id], at: Hearing.reportTime).stdout), "\(status)")
        // A bundle holds nothing confidential: its report is the workspace's public report, word for word.
        let report = try ws.ok(["report", "--bundle", bundle.path, "--key", key, "--format", "md"], at: Hearing.reportTime, in: auditor).stdout
        let published = try ws.ok(["report", Self.id, "--public", "--format", "md"], at: Hearing.reportTime).stdout
        #expect(Self.withoutVerificationCounts(report) == Self.withoutVerificationCounts(published))
        // Who was entitled to act: the roster the bundle carries, as the workspace lists it with published names only.
        let people = try ws.ok(["people", "list", "--bundle", bundle.path, "--key", key], in: auditor).stdout
        #expect(people.hasPrefix("roster: ") && people.contains("  amina "), "\(people)")

        // One changed byte in the bundle's log: nothing is told from it.
        let log = bundle.appendingPathComponent("log.jsonl")
        var bytes = [UInt8](try Data(contentsOf: log))
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "R")))
        bytes[at] = UInt8(ascii: "Q")
        try Data(bytes).write(to: log)
        for command in [["log"], ["status"], ["report", "--format", "md"]] {
            let refused = try ws.run(command + ["--bundle", bundle.path, "--key", key], in: auditor)
            #expect(refused.status == 3 && refused.stdout.isEmpty, "\(command): \(refused.status) \(refused.stdout)")
            #expect(refused.stderr.hasPrefix("hria: the bundle does not verify: "), "\(refused.stderr)")
        }
    }

    /// The report's verification counts differ between a workspace (which checks private values too) and a bundle.
    static func withoutVerificationCounts(_ markdown: String) -> String {
        markdown.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("confidential value") }.joined(separator: "\n")
    }

    @Test("log filters by actor, time, kind and stage; a kind or a time it cannot read is bad input with what is allowed")
    func filters() throws {
        let ws = TestWorkspace.workedExample
        let all = try ws.ok(["log", WorkedExample.id]).stdout.split(separator: "\n")
        let decision = try ws.ok(["log", WorkedExample.id, "--type", "signoff.recorded", "--stage", "decision"]).stdout.split(separator: "\n")
        #expect(decision.count == 7 && decision.allSatisfy { $0.contains("approved stage decision") }, "\(decision)")
        let seun = try ws.ok(["log", WorkedExample.id, "--actor", "seun", "--actor", "ingrid"]).stdout.split(separator: "\n")
        #expect(!seun.isEmpty && seun.allSatisfy { $0.contains("  seun  ") || $0.contains("  ingrid  ") }, "\(seun)")
        let day = try ws.ok(["log", WorkedExample.id, "--since", "2020-04-14", "--until", "2020-04-14"]).stdout.split(separator: "\n")
        #expect(!day.isEmpty && day.allSatisfy { $0.contains("  2020-04-14 ") }, "\(day)")
        let after = try ws.ok(["log", WorkedExample.id, "--since", "2020-04-20T15:00:00Z"]).stdout.split(separator: "\n")
        #expect(after.count == all.filter { $0.contains("2020-04-2") && !$0.contains("2020-04-20 10:") }.count, "\(after)")
        let json = try #require(try ws.json(try ws.run(["log", WorkedExample.id, "--format", "json", "--type", "evidence.updated"])) as? [[String: Any]])
        #expect(json.count == 7 && json.allSatisfy { $0["type"] as? String == "evidence.updated" })
        // (The worked example is the repository itself: read it, and check the messages without `bad`'s scan of every file.)
        for (arguments, message) in [(["--type", "signoff.recorderd"], "hria: unknown event kind \"signoff.recorderd\"\n  help: did you mean \"signoff.recorded\"?\n"),
                                     (["--type", "signoff"], "hria: unknown event kind \"signoff\"\n  help: the kinds are assessment.created, "),
                                     (["--type", "person.added"], "hria: unknown event kind \"person.added\"\n"),
                                     (["--until", "last week"], "hria: --until \"last week\" is neither a date nor a time\n"
                                                                + "  help: write YYYY-MM-DD, or a time such as 2026-03-01T12:00:00Z\n")] {
            let refused = try ws.fails(2, ["log", WorkedExample.id] + arguments)
            #expect(refused.stdout.isEmpty && refused.stderr.hasPrefix(message), "\(refused.stderr)")
        }
    }

    @Test("csv: one row per event with stable columns, RFC 4180 quoting, and cells a spreadsheet would run as formulas neutralised")
    func csv() throws {
        let ws = try Hearing.copy("hria-auditor-csv")
        defer { ws.cleanUp() }
        try ws.ok(["comment", Self.id, "=HYPERLINK(\"http://evil.example\",\"click\"), then a \"quote\"\nand a second line"], as: "amina",
                  at: Hearing.reportTime)
        try ws.ok(["comment", Self.id, "@SUM(1+1) is not a formula here"], as: "amina", at: Hearing.reportTime)
        let text = try ws.ok(["log", Self.id, "--format", "csv"]).stdout
        let records = Self.parseCSV(text)
        let events = try ws.events(Self.id)
        #expect(records.count == events.count + 1, "a header and one record per event")
        let header = try #require(records.first)
        #expect(Array(header.prefix(7)) == ["seq", "time", "actor", "roles", "stage", "kind", "summary"])
        #expect(header.dropFirst(7).allSatisfy { $0.hasPrefix("data.") } && header.dropFirst(7) == header.dropFirst(7).sorted()[...],
                "data columns, sorted: \(header)")
        #expect(text.hasSuffix("\r\n") && text.components(separatedBy: "\r\n").count - 1 >= records.count, "CRLF line ends")
        for (record, event) in zip(records.dropFirst(), events) {
            #expect(record.count == header.count, "every record has every column: \(record)")
            #expect(record[0] == "\(event["seq"] as? Int ?? -1)" && record[5] == event["type"] as? String, "\(record)")
        }
        let formula = try #require(records.first { $0[5] == "comment.added" && $0.contains { $0.contains("HYPERLINK") } })
        let textColumn = try #require(header.firstIndex(of: "data.text"))
        #expect(formula[textColumn] == "'=HYPERLINK(\"http://evil.example\",\"click\"), then a \"quote\"\nand a second line", "\(formula)")
        let minus = try #require(records.first { $0.contains { $0.contains("is not a formula") } })
        #expect(minus[textColumn] == "'@SUM(1+1) is not a formula here")
        // Nothing confidential: the planted values are nowhere in the file.
        for secret in [Planted.participant, Planted.statement, Planted.statement2, Planted.details] { #expect(!text.contains(secret)) }
    }

    /// A small RFC 4180 reader for the test: quoted cells with doubled quotes and line breaks, CRLF between records.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], cell = ""
        var quoted = false, index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if quoted {
                if c == "\"" {
                    let next = text.index(after: index)
                    if next < text.endIndex, text[next] == "\"" { cell.append("\""); index = next } else { quoted = false }
                } else {
                    cell.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(cell); cell = ""
            } else if c == "\r\n" || c == "\n" {
                record.append(cell); records.append(record); record = []; cell = ""
            } else {
                cell.append(c)
            }
            index = text.index(after: index)
        }
        return records
    }

    @Test("verify --proof says what the proven event is; --against says the log extends the checkpoint given")
    func proofAndAgainst() throws {
        let ws = TestWorkspace.workedExample
        let folder = try HRIA.temporaryDirectory("hria-auditor-proof")
        defer { HRIA.cleanUp(folder) }
        let proof = folder.appendingPathComponent("signoff.proof")
        try ws.ok(["prove", WorkedExample.id, "98", "--output", proof.path])
        let key = String(try #require(try String(contentsOf: ws.root.appendingPathComponent("hria.yaml"), encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("log_key:") }).dropFirst("log_key: ".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let verified = try ws.ok(["verify", "--proof", proof.path, "--key", key], in: folder)
        #expect(verified.stdout.contains("verified: event 98 (signoff.recorded by seun"), "\(verified.stdout)")
        #expect(verified.stdout.contains("#98  2020-04-15 10:00  seun  approved stage decision (as approver): \"Defer with conditions.\""),
                "\(verified.stdout)")
        // Inside the workspace, without --key, its own key is trusted, and that is said, as verify --bundle says it.
        let local = try ws.ok(["verify", "--proof", proof.path])
        #expect(local.stderr.contains("note: checked with this workspace's log key"), "\(local.stderr)")

        let checkpoint = ws.assessment(WorkedExample.id).appendingPathComponent("checkpoints/40")
        let against = try ws.ok(["verify", WorkedExample.id, "--against", checkpoint.path]).stdout
        #expect(against.contains("consistent with the checkpoint given with --against (40 events, root "), "\(against)")
        #expect(against.contains("this log extends it without changing any of its events"), "\(against)")
        let json = try #require(try ws.json(try ws.run(["verify", WorkedExample.id, "--against", checkpoint.path, "--json"])) as? [String: Any])
        let report = try #require((json["assessments"] as? [[String: Any]])?.first)
        #expect((report["against"] as? [String: Any])?["size"] as? Int == 40)
    }

    @Test("a bundle names its evidence files in evidence/index.json, and verify --bundle refuses an index that disagrees with the log")
    func evidenceIndex() throws {
        let (ws, bundle, auditor) = try BundleTests.exported("hria-auditor-index")
        defer { ws.cleanUp() }
        let index = bundle.appendingPathComponent("evidence/index.json")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? [String: Any])
        let files = try #require(parsed["files"] as? [String: [[String: Any]]])
        let added = try ws.events(Self.id).filter { ($0["data"] as? [String: Any])?["file"] != nil }
        #expect(files.values.map(\.count).reduce(0, +) == added.count && !added.isEmpty)
        for event in added {
            let file = try #require((event["data"] as? [String: Any])?["file"] as? [String: Any])
            let sha = try #require(file["sha256"] as? String)
            #expect(files[sha]?.contains { $0["name"] as? String == file["name"] as? String && $0["event"] as? Int == event["seq"] as? Int } == true)
            #expect(FileManager.default.fileExists(atPath: bundle.appendingPathComponent("evidence/sha256/\(sha)").path))
        }
        let text = try String(contentsOf: index, encoding: .utf8)
        let name = try #require((added.first?["data"] as? [String: Any]).flatMap { ($0["file"] as? [String: Any])?["name"] as? String })
        try text.replacingOccurrences(of: "\"\(name)\"", with: "\"harmless.pdf\"").write(to: index, atomically: true, encoding: .utf8)
        let refused = try ws.run(["verify", "--bundle", bundle.path], in: auditor)
        #expect(refused.status == 3 && refused.stdout.contains("evidence/index.json does not name the evidence files as the log records them"),
                "\(refused.stdout)")
    }

    @Test("disclosures lists every confidential value by digest, item and field, kept or erased, never the value")
    func disclosures() throws {
        let ws = try Hearing.copy("hria-auditor-disclosures")
        defer { ws.cleanUp() }
        let rows = try #require(try ws.json(try ws.run(["disclosures", Self.id, "--json"])) as? [[String: Any]])
        let stored = try StoredDisclosure.all(in: ws.assessment(Self.id))
        #expect(rows.count == stored.count && !rows.isEmpty)
        for value in stored {
            #expect(rows.contains { $0["digest"] as? String == value.fileName && $0["field"] as? String == value.name && $0["state"] as? String == "kept" },
                    "\(value.name) is listed with its digest")
        }
        let text = try ws.ok(["disclosures", Self.id]).stdout
        for value in stored { #expect(!text.contains(value.value), "a confidential value is printed") }
        // Erased: the name is gone with the file, and is told by elimination within the item.
        let statement = try #require(stored.first { $0.value == Planted.statement2 })
        let file = ws.assessment(Self.id).appendingPathComponent("private/disclosures/\(statement.fileName)")
        let plaintext = try Data(contentsOf: file)
        let erased = try ws.ok(["erase", Self.id, statement.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime).stdout
        let seq = try #require(try ws.events(Self.id).last?["seq"] as? Int)
        #expect(erased.contains("#\(seq)"), "\(erased)")
        let after = try #require(try ws.json(try ws.run(["disclosures", Self.id, "--json"])) as? [[String: Any]])
        let row = try #require(after.first { $0["digest"] as? String == statement.fileName })
        #expect(row["state"] as? String == "erased" && row["erased_by"] as? Int == seq && row["field"] as? String == statement.name, "\(row)")
        // A deletion cut off after the erasure was logged: the plaintext is still here, and the listing says so.
        try plaintext.write(to: file)
        let interrupted = try ws.ok(["disclosures", Self.id]).stdout
        #expect(interrupted.contains("erased by #\(seq), but the plaintext is still here: run hria erase again"), "\(interrupted)")
    }
}
