// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the signed statement "the log <origin> had <size> leaves with
// Merkle root <root>". Its body is the text of a signed note, so anyone holding the verifier key can check it.

/// Why a checkpoint was refused.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body breaks the checkpoint format; the text says which rule.
    case malformedBody(String)
    /// The checkpoint is validly signed but for another log than the one being checked.
    case originMismatch(expected: String, found: String)
    /// The signed note around the body was refused (bad or missing signature, bad syntax).
    case note(NoteError)

    /// The problem in plain words.
    public var description: String {
        switch self {
        case .malformedBody(let why): return "malformed checkpoint: \(why)"
        case .originMismatch(let expected, let found):
            return "the checkpoint is for log \"\(found)\", not for \"\(expected)\""
        case .note(let error): return "checkpoint signature refused: \(error.description)"
        }
    }
}

/// A transparency-log checkpoint body: origin, tree size and root hash, then optional extension lines.
public struct Checkpoint: Sendable, Equatable {
    /// The log's identity; for hria `<workspace origin>/<assessment id>`.
    public var origin: String
    /// The number of leaves (log lines) the root covers.
    public var size: Int
    /// The RFC 6962 Merkle root of the first `size` leaves.
    public var rootHash: SHA256Hash
    /// Opaque extra lines after the root; the format discourages them and hria writes none.
    public var extensions: [String]

    /// Creates a checkpoint; `SignedCheckpoint.sign` checks that it is well-formed.
    public init(origin: String, size: Int, rootHash: SHA256Hash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: `origin\nsize\nbase64(root)\n`, then each extension line and a newline.
    public var body: String {
        var text = "\(origin)\n\(size)\n\(rootHash.base64)\n"
        for line in extensions { text += line + "\n" }
        return text
    }

    /// Reads a checkpoint body strictly: at least three lines, each ending in a newline; a non-empty origin; a
    /// size in plain decimal (no sign, no leading zeros except "0" itself); a root that is the canonical standard
    /// base64 of exactly 32 bytes; non-empty extension lines; no control characters other than newline.
    ///
    /// Strictness makes one checkpoint have one spelling, so equal checkpoints have equal signed bytes.
    public static func parse(body: String) throws(CheckpointError) -> Checkpoint {
        let bytes = Array(body.utf8)
        guard bytes.last == NoteKeys.newline else { throw .malformedBody("the body must end with a newline") }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != NoteKeys.newline }) else {
            throw .malformedBody("the body contains a control character other than newline")
        }
        let lines = bytes.dropLast().split(separator: NoteKeys.newline, omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw .malformedBody("a checkpoint has at least three lines: origin, size, root hash") }
        guard !lines[0].isEmpty else { throw .malformedBody("the origin line is empty") }
        guard let size = parseSize(lines[1]) else {
            throw .malformedBody("the tree size must be a decimal number without sign or leading zeros")
        }
        guard let bytes = NoteBase64.decode(lines[2], strict: true), let root = SHA256Hash(bytes: bytes) else {
            throw .malformedBody("the root hash must be the standard base64 of 32 bytes")
        }
        let extensions = lines.dropFirst(3)
        guard extensions.allSatisfy({ !$0.isEmpty }) else { throw .malformedBody("an extension line is empty") }
        return Checkpoint(origin: String(decoding: lines[0], as: UTF8.self), size: size, rootHash: root,
                          extensions: extensions.map { String(decoding: $0, as: UTF8.self) })
    }

    private static func parseSize(_ digits: ArraySlice<UInt8>) -> Int? {
        guard let first = digits.first else { return nil }
        if first == UInt8(ascii: "0") { return digits.count == 1 ? 0 : nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}

/// A checkpoint whose signature has been checked, with the exact signed-note bytes it came in.
public struct SignedCheckpoint: Sendable, Equatable {
    /// The checkpoint the note's text holds.
    public let checkpoint: Checkpoint
    /// The signed note, byte for byte, as written or read.
    public let note: [UInt8]

    /// Signs `checkpoint` as a note and keeps both.
    public init(signing checkpoint: Checkpoint, signer: NoteSigner) throws(CheckpointError) {
        self.note = try Self.sign(checkpoint, signer: signer)
        self.checkpoint = checkpoint
    }

    /// Opens a signed checkpoint and keeps both the checkpoint and the bytes (see `open`).
    public init(opening bytes: [UInt8], verifier: NoteVerifier, expectedOrigin: String?) throws(CheckpointError) {
        self.checkpoint = try Self.open(bytes, verifier: verifier, expectedOrigin: expectedOrigin)
        self.note = bytes
    }

    /// The signed-note bytes of `checkpoint`, signed by `signer`.
    ///
    /// Refuses a checkpoint that would not read back identically (an origin with a newline, a negative size, a
    /// root that is not 32 bytes, an empty extension line), so nothing unreadable is ever signed.
    public static func sign(_ checkpoint: Checkpoint, signer: NoteSigner) throws(CheckpointError) -> [UInt8] {
        guard checkpoint.size >= 0 else { throw .malformedBody("the tree size is negative") }
        let body = checkpoint.body
        guard try Checkpoint.parse(body: body) == checkpoint else {
            throw .malformedBody("the origin or an extension line contains a newline")
        }
        do {
            return try Note.sign(text: body, signers: [signer])
        } catch {
            throw .note(error)
        }
    }

    /// Opens a signed checkpoint: the note must carry a valid signature by `verifier` (other signatures, such as
    /// witness cosignatures, are ignored unless they claim `verifier`'s key and fail), its text must be a
    /// well-formed checkpoint, and, when given, its origin must be `expectedOrigin`.
    public static func open(_ bytes: [UInt8], verifier: NoteVerifier, expectedOrigin: String?) throws(CheckpointError) -> Checkpoint {
        let note: Note
        do {
            note = try Note.open(bytes, verifiers: [verifier])
        } catch {
            throw .note(error)
        }
        let checkpoint = try Checkpoint.parse(body: note.text)
        // Compared as bytes: the origin is an identifier, and Swift's == would equate Unicode normalizations.
        if let expectedOrigin, !checkpoint.origin.utf8.elementsEqual(expectedOrigin.utf8) {
            throw .originMismatch(expected: expectedOrigin, found: checkpoint.origin)
        }
        return checkpoint
    }
}
