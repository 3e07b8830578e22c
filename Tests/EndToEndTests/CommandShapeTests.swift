import Foundation
import Testing

/// The parser owns the shape of every command: which modes and options fit together is settled before anything
/// is read, and a wrong shape is exit 2 with a sentence saying what to give, never a partial run.
@Suite("Command shapes checked by the parser")
struct CommandShapeTests {
    @Test("verify takes exactly one mode, and only the options that fit it", arguments: [
        (["verify"], "what should be verified?"),
        (["verify", Hearing.id, "--all"], "not --all and assessment ids"),
        (["verify", Hearing.id, "--proof", "p.txt"], "not --proof and assessment ids"),
        (["verify", "--all", "--bundle", "b"], "not --bundle and --all"),
        (["verify", "--proof", "p.txt", "--bundle", "b"], "not --proof and --bundle"),
        (["verify", "--proof", "p.txt", "--against", "c.txt"], "--against checks a log or a bundle, not a proof"),
        (["verify", "--all", "--against", "c.txt"], "--against checks one assessment"),
        (["verify", Hearing.id, "other", "--against", "c.txt"], "--against checks one assessment"),
        (["verify", "--bundle", "b", "--disclosure", "x"], "--disclosure is checked with assessment ids or with --proof"),
    ])
    func verifyModes(arguments: [String], message: String) throws {
        let ws = try Hearing.copy("hria-shape-verify")
        defer { ws.cleanUp() }
        let result = try ws.fails(2, arguments)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("verify --all in a workspace without assessments is bad input, not a silent success")
    func verifyAllEmpty() throws {
        let ws = try TestWorkspace.initialised("hria-shape-empty", organisation: "Empty Office", origin: nil)
        defer { ws.cleanUp() }
        let result = try ws.fails(2, ["verify", "--all"])
        #expect(result.stderr.contains("no assessments yet"), "\(result.stderr)")
    }

    @Test("erase wants exactly an id and a digest; an unknown option is named, not taken for a digest", arguments: [
        (["erase", Hearing.id, "--reason", "asked"], "give the assessment id and the disclosure digest (1 word given)"),
        (["erase", Hearing.id, String(repeating: "Q", count: 43), "--reasn", "asked", "--reason", "x"], "unknown option --reasn"),
        (["erase", Hearing.id, String(repeating: "Q", count: 43), "extra", "--reason", "x"], "(3 words given)"),
    ])
    func eraseShape(arguments: [String], message: String) throws {
        let ws = try Hearing.copy("hria-shape-erase")
        defer { ws.cleanUp() }
        let before = try ws.events(Hearing.id).count
        let result = try ws.fails(2, arguments, as: "amina", at: Hearing.reportTime)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try ws.events(Hearing.id).count == before)
    }

    @Test("keys show never reads outside the person's key folder")
    func keyNames() throws {
        let ws = try Hearing.copy("hria-shape-keys")
        defer { ws.cleanUp() }
        for name in ["../log", "../../hria", ".hidden"] {
            let result = try ws.fails(2, ["keys", "show", name])
            #expect(result.stdout.isEmpty, "\(name): \(result.stdout)")
            #expect(result.stderr.contains("cannot name a key file"), "\(name): \(result.stderr)")
        }
    }
}
