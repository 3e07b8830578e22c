import Foundation
import Testing
@testable import HRIAKit

/// The byte form a server keeps drafts in when every instance on one database shares them (docs/SERVER.md, "Several
/// instances on one database"): what is read back is equal to what was written, the bytes the client signs included.
@Suite("Prepared drafts: their byte form reads back equal")
struct PreparedDraftCodingTests {
    static let workflowBytes = Array(StandardLibrary.text(of: "rapid-screening.yaml")!.utf8)

    /// A command with everything a draft can hold: an event with a confidential field (its disclosure) and a file, a
    /// move to another workflow, a moment to the fraction of a second, a new assessment's workflow file, an erasure.
    static func command() throws -> PreparedCommand {
        let workflow = try #require(WorkflowLoader.load(bytes: workflowBytes, fileName: "workflows/rapid-screening.yaml").workflow)
        let sha256 = Digest.sha256Hex(workflowBytes)
        let disclosure = Disclosure(saltBytes: Array(0 ..< 16), name: "contact", value: "Amina, +41 22 000 00 00 \u{1F512}")
        let file: [UInt8] = (0 ..< 4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let fileSHA = Digest.sha256Hex(file)
        let time = Date(timeIntervalSince1970: 1_796_284_800.123_456)
        let evidence = EventDraft(actor: "ana", stage: "scoping", time: time,
                                  payload: .evidenceAdded(EvidenceAdded(requirement: "stakeholder_map", type: "consultation",
                                                                        fields: ["summary": .string("met \"five\" groups\n"), "count": .int(5)],
                                                                        file: EvidenceFile(sha256: fileSHA, size: file.count, name: "notes é.pdf"),
                                                                        confidential: ["contact"], roles: ["assessor"])),
                                  sd: [disclosure.digest].sorted(), roster: 7)
        let move = EventDraft(actor: "ana", stage: "scoping", time: time.addingTimeInterval(0.5),
                              payload: .workflowMigrated(WorkflowMigrated(from: WorkflowPin(id: "old", version: 1, sha256: String(repeating: "a", count: 64)),
                                                                          to: WorkflowPin(id: workflow.id, version: workflow.version, sha256: sha256),
                                                                          stages: ["draft": "scoping"], reason: "the office's new version", roles: ["admin"])),
                              roster: 7)
        var lines: [[UInt8]] = []
        var prev = try #require(SHA256Hash(bytes: Array(repeating: UInt8(9), count: 32)))
        for (offset, draft) in [evidence, move].enumerated() {
            let line = EventLine.encode(draft, seq: 12 + offset, prev: prev)
            lines.append(line)
            prev = line.withUnsafeBytes { SHA256Hash.leaf($0) }
        }
        return PreparedCommand(id: "un75", actor: "ana", size: 12, head: try #require(SHA256Hash(bytes: Array(repeating: UInt8(9), count: 32))),
                               rosterSize: 7, signaturesRequired: true, drafts: [evidence, move], disclosures: [disclosure], voided: ["amina"],
                               files: [fileSHA: InputFile(bytes: file, permissions: 0o640)], unsignedLines: lines,
                               erasing: [String(repeating: "b", count: 43)], creating: workflowBytes,
                               moving: MigrationTarget(workflow: workflow, sha256: sha256, bytes: workflowBytes, displayName: "workflows/rapid-screening.yaml"))
    }

    @Test("a prepared command with a disclosure, a file and a move reads back equal, its lines and file byte for byte")
    func commandRoundTrips() throws {
        let prepared = try Self.command()
        let bytes = prepared.encoded()
        let read = try PreparedCommand(encoded: bytes)
        #expect(read == prepared)
        #expect(read.unsignedLines == prepared.unsignedLines)
        #expect(read.drafts.map(\.time) == prepared.drafts.map(\.time), "moments keep their fractions of a second")
        #expect(read.files.values.first?.bytes == prepared.files.values.first?.bytes && read.files.values.first?.permissions == 0o640)
        #expect(read.disclosures.map(\.encoded) == prepared.disclosures.map(\.encoded))
        #expect(read.moving?.workflow.id == prepared.moving?.workflow.id && read.moving?.workflow.version == prepared.moving?.workflow.version)
        // The same form again: one spelling.
        #expect(read.encoded() == bytes)
        // Through a memo of checked workflows too.
        #expect(try PreparedCommand(encoded: bytes, workflows: WorkflowMemo()) == prepared)
    }

    @Test("a prepared roster change reads back equal")
    func rosterChangeRoundTrips() throws {
        let disclosure = Disclosure(saltBytes: Array(repeating: 1, count: 16), name: "name", value: "Ana Lima")
        let command = try Self.command()
        let change = PreparedRosterChange(actor: "admin", size: 3, head: command.head, drafts: [command.drafts[0]], disclosures: [disclosure],
                                          unsignedLines: [command.unsignedLines[0]], undeclaredRoles: ["auditor"])
        let read = try PreparedRosterChange(encoded: change.encoded())
        #expect(read == change)
    }

    @Test("every event of the worked example travels as a draft and reads back equal")
    func everyKindOfEvent() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("assessments/un75-platform/log.jsonl")
        let lines = EventLine.split([UInt8](try Data(contentsOf: url))).lines.map(Array.init)
        #expect(lines.count > 50)
        for line in lines {
            let draft = try EventLine.decode(line).draft
            var writer = ByteWriter()
            writer.draft(draft)
            var reader = ByteReader(writer.bytes)
            #expect(try reader.draft() == draft)
            #expect(reader.atEnd)
        }
    }

    @Test("bytes that are not a whole draft are refused, never half read")
    func damageRefused() throws {
        let bytes = try Self.command().encoded()
        // Every cut short, and every byte changed in the first part, either fails or reads as another whole draft
        // (a changed letter of a name is still a name); none crashes or reads past the end.
        for end in stride(from: 0, to: bytes.count, by: 97) {
            #expect(throws: HRIAError.self) { try PreparedCommand(encoded: Array(bytes[..<end])) }
        }
        #expect(throws: HRIAError.self) { try PreparedCommand(encoded: bytes + [0]) }
        var otherVersion = bytes
        otherVersion[0] = 4
        #expect(throws: HRIAError.self) { try PreparedCommand(encoded: otherVersion) }
        let workflows = WorkflowMemo()
        for index in 0 ..< min(bytes.count, 400) {
            var changed = bytes
            changed[index] ^= 0x5A
            _ = try? PreparedCommand(encoded: changed, workflows: workflows)
        }
    }
}
