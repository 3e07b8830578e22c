import Foundation

/// An offline-checkable proof that one event is in an assessment's log: the C2SP tlog-proof format
/// (`c2sp.org/tlog-proof@v1`), with the event's exact line as its `extra` data so the proof carries what it
/// proves. Anyone with the log's verifier key can check it without the workspace.
public struct InclusionProofFile: Sendable {
    public static let header = "c2sp.org/tlog-proof@v1"

    public var eventLine: [UInt8]
    public var index: Int
    public var proof: [[UInt8]]
    /// The signed checkpoint the proof is against, verbatim.
    public var checkpoint: [UInt8]

    public init(eventLine: [UInt8], index: Int, proof: [[UInt8]], checkpoint: [UInt8]) {
        self.eventLine = eventLine
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
    }

    public func rendered() -> [UInt8] {
        var text = "\(Self.header)\nextra \(Base64.standard.encode(eventLine))\nindex \(index)\n"
        for hash in proof { text += Base64.standard.encode(hash) + "\n" }
        text += "\n"
        return Array(text.utf8) + checkpoint
    }

    /// Reads a proof file; every deviation from the format is refused with a reason.
    public static func parse(_ bytes: [UInt8]) throws(HRIAError) -> InclusionProofFile {
        func bad(_ why: String) -> HRIAError { .badInput("not a valid tlog-proof file: \(why)") }
        guard let separator = bytes.firstRange(of: [0x0A, 0x0A]) else { throw bad("no blank line before the checkpoint") }
        let head = String(decoding: bytes[..<separator.lowerBound], as: UTF8.self)
        let checkpoint = Array(bytes[separator.upperBound...])
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == header else { throw bad("the first line must be \(header)") }
        lines.removeFirst()
        guard let extraLine = lines.first, extraLine.hasPrefix("extra "),
              let extra = Base64.standard.decode(String(extraLine.dropFirst(6)), strict: true) else {
            throw bad("the event line (extra) is missing; hria proofs carry the event they prove")
        }
        lines.removeFirst()
        guard let indexLine = lines.first, indexLine.hasPrefix("index "), let index = Int(indexLine.dropFirst(6)), index >= 0,
              String(index) == String(indexLine.dropFirst(6)) else {
            throw bad("the index line is missing or malformed")
        }
        lines.removeFirst()
        var proof: [[UInt8]] = []
        for line in lines {
            guard let hash = Base64.standard.decode(line, strict: true), hash.count == 32 else { throw bad("a proof line is not a base64 SHA-256 hash") }
            proof.append([UInt8](hash))
        }
        return InclusionProofFile(eventLine: [UInt8](extra), index: index, proof: proof, checkpoint: checkpoint)
    }

    /// Checks the checkpoint's signature and the inclusion proof; returns the checkpoint and the event.
    public func verify(verifier: NoteVerifier) throws(HRIAError) -> (checkpoint: Checkpoint, event: Event) {
        let opened: Checkpoint
        do {
            opened = try SignedCheckpoint.open(checkpoint, verifier: verifier, expectedOrigin: nil)
        } catch {
            throw HRIAError(.integrity, "the proof's checkpoint does not verify with the given key: \(error)")
        }
        do {
            try Merkle.checkInclusion(index: index, size: opened.size, leafHash: Merkle.leafHash(eventLine), proof: proof, root: opened.rootHash.bytes)
        } catch {
            throw HRIAError(.integrity, "the event is not at index \(index) of the log the checkpoint signs: \(error)")
        }
        let event: Event
        do {
            event = try EventLine.decode(eventLine)
        } catch {
            throw HRIAError(.integrity, "the proven line is not a well-formed hria event: \(error)")
        }
        guard event.seq == index else {
            throw HRIAError(.integrity, "the proven event carries seq \(event.seq) but sits at index \(index)")
        }
        return (opened, event)
    }
}
