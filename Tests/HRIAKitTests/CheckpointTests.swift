import Foundation
import Testing
@testable import HRIAKit

/// C2SP tlog-checkpoint bodies and their signed notes: round trips, the specification's example, strict parsing,
/// and refusal of every altered field.
@Suite("Checkpoint")
struct CheckpointTests {
    static let origin = "hria.example.org/ws1/a-2026-007"
    static let root = Merkle.rootHash(leafHashes: (0..<5).map { Merkle.leafHash(Array("event \($0)".utf8)) })

    static func makeSigner(_ name: String = "hria.example.org/ws1") throws -> NoteSigner {
        try NoteSigner.generate(name: name).signer
    }

    static func openError(_ bytes: [UInt8], _ verifier: NoteVerifier, origin: String?) -> CheckpointError? {
        do {
            _ = try SignedCheckpoint.open(bytes, verifier: verifier, expectedOrigin: origin)
            return nil
        } catch {
            return error
        }
    }

    static func parseError(_ body: String) -> CheckpointError? {
        do {
            _ = try Checkpoint.parse(body: body)
            return nil
        } catch {
            return error
        }
    }

    @Test("sign then open returns the same checkpoint; the note is body, blank line, one signature line")
    func roundTrip() throws {
        let signer = try Self.makeSigner()
        let checkpoint = Checkpoint(origin: Self.origin, size: 5, rootHash: Self.root)
        #expect(checkpoint.body == "\(Self.origin)\n5\n\(Data(Self.root.bytes).base64EncodedString())\n")
        let bytes = try SignedCheckpoint.sign(checkpoint, signer: signer)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(checkpoint.body + "\n— hria.example.org/ws1 "))
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == 4)
        #expect(try SignedCheckpoint.open(bytes, verifier: signer.verifier, expectedOrigin: Self.origin) == checkpoint)
        #expect(try SignedCheckpoint.open(bytes, verifier: signer.verifier, expectedOrigin: nil) == checkpoint)

        let kept = try SignedCheckpoint(opening: bytes, verifier: signer.verifier, expectedOrigin: Self.origin)
        #expect(kept.checkpoint == checkpoint && kept.note == bytes)
        let made = try SignedCheckpoint(signing: checkpoint, signer: signer)
        #expect(try SignedCheckpoint.open(made.note, verifier: signer.verifier, expectedOrigin: Self.origin) == made.checkpoint)
    }

    @Test("empty trees, extension lines and Go's own verifier key work too")
    func variants() throws {
        let signer = try NoteSigner(privateKey: SignedNoteTests.peterPrivateKey)
        let empty = Checkpoint(origin: "example.com/log", size: 0, rootHash: Merkle.emptyTreeRoot)
        #expect(empty.body == "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        let bytes = try SignedCheckpoint.sign(empty, signer: signer)
        #expect(try SignedCheckpoint.open(bytes, verifier: try SignedNoteTests.peter, expectedOrigin: "example.com/log") == empty)

        let extended = Checkpoint(origin: "example.com/log", size: 3, rootHash: Self.root, extensions: ["ext one", "— two"])
        #expect(extended.body.hasSuffix("\next one\n— two\n"))
        let signed = try SignedCheckpoint.sign(extended, signer: signer)
        #expect(try SignedCheckpoint.open(signed, verifier: signer.verifier, expectedOrigin: nil) == extended)
    }

    @Test("the C2SP tlog-checkpoint example body parses and re-encodes byte for byte")
    func specExample() throws {
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let checkpoint = try Checkpoint.parse(body: body)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(checkpoint.rootHash.bytes.count == 32)
        #expect(checkpoint.extensions.isEmpty)
        #expect(checkpoint.body == body)
        // Its signature's key is not published: opening it with our key finds no trusted signature.
        let note = Array((body + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n").utf8)
        #expect(Self.openError(note, try Self.makeSigner().verifier, origin: nil)
                == .note(.unverified(unknownKeys: ["example.com/behind-the-sofa+033de0ae"])))
    }

    @Test("a changed origin, size or root breaks the signature")
    func tamperedFields() throws {
        let signer = try Self.makeSigner()
        let checkpoint = Checkpoint(origin: Self.origin, size: 5, rootHash: Self.root)
        let original = String(decoding: try SignedCheckpoint.sign(checkpoint, signer: signer), as: UTF8.self)
        let otherRoot = Data(Merkle.root(leafHashes: [Merkle.leafHash([1])])).base64EncodedString()
        let edits: [(String, String)] = [
            ("origin", original.replacingOccurrences(of: Self.origin, with: Self.origin + "x")),
            ("size", original.replacingOccurrences(of: "\n5\n", with: "\n6\n")),
            ("size to a prefix", original.replacingOccurrences(of: "\n5\n", with: "\n4\n")),
            ("root", original.replacingOccurrences(of: Data(Self.root.bytes).base64EncodedString(), with: otherRoot)),
            ("extension line added", original.replacingOccurrences(of: "=\n\n—", with: "=\nextra\n\n—")),
        ]
        for (what, edited) in edits {
            #expect(edited != original, "\(what): the edit did nothing")
            let error = Self.openError(Array(edited.utf8), signer.verifier, origin: nil)
            guard case .note(.invalidSignature) = error else {
                Issue.record("\(what): expected an invalid signature, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("a forged checkpoint, another log's checkpoint, and an unsigned one are refused")
    func wrongSignerOrOrigin() throws {
        let signer = try Self.makeSigner()
        let forger = try Self.makeSigner()  // same name, different key
        let checkpoint = Checkpoint(origin: Self.origin, size: 5, rootHash: Self.root)
        let forged = try SignedCheckpoint.sign(checkpoint, signer: forger)
        guard case .note(.unverified) = Self.openError(forged, signer.verifier, origin: Self.origin) else {
            Issue.record("a checkpoint signed by another key was accepted or misreported")
            return
        }
        let honest = try SignedCheckpoint.sign(checkpoint, signer: signer)
        #expect(Self.openError(honest, signer.verifier, origin: "hria.example.org/ws1/a-2026-008")
                == .originMismatch(expected: "hria.example.org/ws1/a-2026-008", found: Self.origin))
        #expect(Self.openError(Array(checkpoint.body.utf8), signer.verifier, origin: nil)
                == .note(.malformed("no blank line separates the text from the signatures")))
        // A witness cosignature by an unknown key does not get in the way.
        let cosigned = try Note.sign(text: checkpoint.body, signers: [signer, try Self.makeSigner("witness.example/w")])
        #expect(try SignedCheckpoint.open(cosigned, verifier: signer.verifier, expectedOrigin: Self.origin) == checkpoint)
        // A signed note whose text is not a checkpoint.
        let notCheckpoint = try Note.sign(text: "hello\n", signers: [signer])
        guard case .malformedBody = Self.openError(notCheckpoint, signer.verifier, origin: nil) else {
            Issue.record("a non-checkpoint note was accepted")
            return
        }
    }

    @Test("malformed bodies are refused")
    func malformedBodies() throws {
        let root = Data(Self.root.bytes).base64EncodedString()
        let short = Data(Self.root.bytes.dropLast()).base64EncodedString()
        let long = Data(Self.root.bytes + [0]).base64EncodedString()
        // Same 32 bytes' worth of characters but non-zero trailing bits: not the canonical encoding.
        let nonCanonical = String(root.dropLast(2)) + "B="
        let bodies: [(String, String)] = [
            ("leading zero", "o\n05\n\(root)\n"),
            ("zero with a leading zero", "o\n00\n\(root)\n"),
            ("negative size", "o\n-1\n\(root)\n"),
            ("plus sign", "o\n+1\n\(root)\n"),
            ("fraction", "o\n1.0\n\(root)\n"),
            ("spaces around the size", "o\n 1\n\(root)\n"),
            ("hexadecimal size", "o\n0x10\n\(root)\n"),
            ("empty size", "o\n\n\(root)\n"),
            ("size beyond Int", "o\n99999999999999999999\n\(root)\n"),
            ("non-ASCII digits", "o\n١٢\n\(root)\n"),
            ("short root", "o\n1\n\(short)\n"),
            ("long root", "o\n1\n\(long)\n"),
            ("unpadded root", "o\n1\n\(root.dropLast())\n"),
            ("non-canonical root", "o\n1\n\(nonCanonical)\n"),
            ("URL-safe root", "o\n1\n\(root.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))\n"),
            ("hex root", "o\n1\n\(Self.root.hex)\n"),
            ("missing trailing newline", "o\n1\n\(root)"),
            ("empty origin", "\n1\n\(root)\n"),
            ("only two lines", "o\n1\n"),
            ("empty body", ""),
            ("empty extension line", "o\n1\n\(root)\n\n"),
            ("carriage return", "o\r\n1\n\(root)\n"),
            ("control character in origin", "o\u{01}\n1\n\(root)\n"),
        ]
        for (what, body) in bodies {
            guard case .malformedBody = Self.parseError(body) else {
                Issue.record("\(what): \(body.debugDescription) was not refused as malformed")
                continue
            }
        }
        #expect(Self.parseError("o\n0\n\(root)\n") == nil)
        #expect(try Checkpoint.parse(body: "o\n9223372036854775807\n\(root)\n").size == Int.max)
        #expect(Self.parseError("o\n1\n\(root)\next\n") == nil)
    }

    @Test("signing refuses a checkpoint that would not read back")
    func signRefusesMalformed() throws {
        let signer = try Self.makeSigner()
        let bad: [(String, Checkpoint)] = [
            ("negative size", Checkpoint(origin: "o", size: -1, rootHash: Self.root)),
            ("empty origin", Checkpoint(origin: "", size: 1, rootHash: Self.root)),
            ("newline in origin", Checkpoint(origin: "o\n2", size: 1, rootHash: Self.root)),
            ("empty extension", Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensions: [""])),
            ("newline in extension", Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensions: ["a\nb"])),
            ("tab in origin", Checkpoint(origin: "o\tp", size: 1, rootHash: Self.root)),
        ]
        for (what, checkpoint) in bad {
            do {
                _ = try SignedCheckpoint.sign(checkpoint, signer: signer)
                Issue.record("\(what): signed")
            } catch {
                guard case .malformedBody = error else {
                    Issue.record("\(what): \(error)")
                    continue
                }
            }
        }
    }

    @Test("errors read as plain words")
    func descriptions() {
        #expect(CheckpointError.originMismatch(expected: "a", found: "b").description == "the checkpoint is for log \"b\", not for \"a\"")
        #expect(CheckpointError.note(.invalidSignature(name: "k", keyHash: 0x0102_0304)).description
                == "checkpoint signature refused: the signature of key k+01020304 does not match the note: it was altered or forged")
        #expect(CheckpointError.malformedBody("x").description == "malformed checkpoint: x")
    }
}
