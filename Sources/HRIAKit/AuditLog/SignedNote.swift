import Crypto
import Foundation

// C2SP signed notes (c2sp.org/signed-note), byte-compatible with Go's golang.org/x/mod/sumdb/note: the same key
// strings, the same key hashes, the same note layout, and the same acceptance rules in `Note.open`, so a checkpoint
// hria signs can be opened by Go tooling and the other way round.

/// Why a signed note, a key string, or a signing request was refused.
public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The note's bytes break the format; the text says which rule.
    case malformed(String)
    /// A signature from a trusted key does not verify: the note was altered or forged.
    case invalidSignature(name: String, keyHash: UInt32)
    /// The note parsed, but no trusted key signed it. Lists the keys (`name+hash`) that did sign.
    case unverified(unknownKeys: [String])
    /// More than `Note.maximumSignatures` signature lines.
    case tooManySignatures
    /// Two trusted verifier keys share one name and key hash, so a signature cannot be attributed.
    case ambiguousKey(name: String, keyHash: UInt32)
    /// A signer or verifier key string is malformed, of an unknown algorithm, or has a wrong key hash.
    case invalidKey(String)
    /// A key name is empty or contains a Unicode space or '+'.
    case invalidName(String)
    /// The Ed25519 implementation failed to sign.
    case signingFailed(String)

    /// The problem in plain words.
    public var description: String {
        switch self {
        case .malformed(let why): return "malformed signed note: \(why)"
        case .invalidSignature(let name, let hash):
            return "the signature of key \(name)+\(NoteKeys.hex8(hash)) does not match the note: it was altered or forged"
        case .unverified(let keys):
            let who = keys.isEmpty ? "" : " (signed only by: \(keys.joined(separator: ", ")))"
            return "the note has no signature from a trusted key\(who)"
        case .tooManySignatures: return "the note has more than \(Note.maximumSignatures) signatures"
        case .ambiguousKey(let name, let hash):
            return "more than one trusted key is named \(name)+\(NoteKeys.hex8(hash))"
        case .invalidKey(let why): return "invalid note key: \(why)"
        case .invalidName(let name): return "invalid key name \"\(name)\": it must be non-empty, without spaces or '+'"
        case .signingFailed(let why): return "could not sign the note: \(why)"
        }
    }
}

/// An Ed25519 note signing key, as Go's `note.NewSigner` reads it.
public struct NoteSigner: Sendable {
    /// The key name, written in each signature line.
    public let name: String
    /// The 32-bit key hash: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), big-endian.
    public let keyHash: UInt32
    /// The public verifier key string, `<name>+<hash8hex>+<base64(0x01 ‖ public key)>`, for publishing.
    public let verifierKey: String
    private let key: Curve25519.Signing.PrivateKey

    /// Creates a fresh key for `name` and returns it with its two encodings: the secret
    /// `PRIVATE+KEY+<name>+<hash8hex>+<base64(0x01 ‖ seed)>` and the public verifier key.
    public static func generate(name: String) throws(NoteError) -> (signer: NoteSigner, privateKey: String, verifierKey: String) {
        try derived(name: name, key: Curve25519.Signing.PrivateKey())
    }

    /// The key whose 32-byte seed is given: for the fuzz targets, which need the same key in every process so that
    /// an input found once reproduces, without a private key written in the sources.
    @_spi(Fuzzing) public static func generate(name: String, seed: [UInt8]) throws(NoteError) -> (signer: NoteSigner, privateKey: String, verifierKey: String) {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { throw .invalidKey("an Ed25519 seed is 32 bytes") }
        return try derived(name: name, key: key)
    }

    private static func derived(name: String, key: Curve25519.Signing.PrivateKey) throws(NoteError) -> (signer: NoteSigner, privateKey: String, verifierKey: String) {
        guard NoteKeys.isValidName(name) else { throw .invalidName(name) }
        let signer = NoteSigner(name: name, key: key)
        let seed = [NoteKeys.algorithmEd25519] + Array(key.rawRepresentation)
        let encoded = "PRIVATE+KEY+\(name)+\(NoteKeys.hex8(signer.keyHash))+\(NoteBase64.encode(seed))"
        return (signer, encoded, signer.verifierKey)
    }

    /// Reads a `PRIVATE+KEY+<name>+<hash8hex>+<base64(0x01 ‖ 32-byte seed)>` string, checking the key hash
    /// against the public key derived from the seed, as Go's `note.NewSigner` does.
    public init(privateKey encoded: String) throws(NoteError) {
        // Split at the first four '+' only: the base64 part may itself contain '+'.
        let (priv1, rest1) = NoteKeys.chop(Array(encoded.utf8), at: UInt8(ascii: "+"))
        let (priv2, rest2) = NoteKeys.chop(rest1, at: UInt8(ascii: "+"))
        let (nameBytes, rest3) = NoteKeys.chop(rest2, at: UInt8(ascii: "+"))
        let (hash16, key64) = NoteKeys.chop(rest3, at: UInt8(ascii: "+"))
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard priv1.elementsEqual("PRIVATE".utf8), priv2.elementsEqual("KEY".utf8) else {
            throw .invalidKey("a private key must start with PRIVATE+KEY+")
        }
        guard NoteKeys.isValidName(name) else { throw .invalidName(name) }
        guard let hash = NoteKeys.parseHex8(hash16) else { throw .invalidKey("the key hash must be 8 hexadecimal digits") }
        guard let keyBytes = NoteBase64.decode(key64), let algorithm = keyBytes.first else {
            throw .invalidKey("the key data is not standard base64")
        }
        guard algorithm == NoteKeys.algorithmEd25519 else { throw .invalidKey("unknown key algorithm \(algorithm)") }
        guard keyBytes.count == 33, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes.dropFirst()) else {
            throw .invalidKey("an Ed25519 private key holds a 32-byte seed")
        }
        let signer = NoteSigner(name: name, key: key)
        guard signer.keyHash == hash else { throw .invalidKey("the key hash does not match the key") }
        self = signer
    }

    private init(name: String, key: Curve25519.Signing.PrivateKey) {
        let publicKey = [NoteKeys.algorithmEd25519] + Array(key.publicKey.rawRepresentation)
        let hash = NoteKeys.keyHash(name: name, publicKey: publicKey)
        self.name = name
        self.keyHash = hash
        self.verifierKey = "\(name)+\(NoteKeys.hex8(hash))+\(NoteBase64.encode(publicKey))"
        self.key = key
    }

    /// The verifier for this key's signatures.
    public var verifier: NoteVerifier {
        // Our own verifier key string is well-formed by construction.
        guard let verifier = try? NoteVerifier(verifierKey: verifierKey) else { preconditionFailure("own verifier key rejected") }
        return verifier
    }

    /// The 64-byte Ed25519 signature of `message` (for a note: its text, including the final newline).
    ///
    /// Deterministic (RFC 8032) with the BoringSSL backend used on Linux; Apple's CryptoKit randomizes it, which
    /// verifiers accept just the same.
    public func sign(_ message: [UInt8]) throws(NoteError) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw .signingFailed("\(error)")
        }
    }
}

extension NoteSigner: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the key without its secret, so a signer interpolated into a message or log never leaks the seed.
    public var description: String { "NoteSigner(\(name)+\(NoteKeys.hex8(keyHash)))" }
    /// Same as `description`: the default reflection would print the private key.
    public var debugDescription: String { description }
}

/// An Ed25519 note verifier key, as Go's `note.NewVerifier` reads it.
public struct NoteVerifier: Sendable {
    /// The key name that signature lines must carry.
    public let name: String
    /// The 32-bit key hash that signatures must start with.
    public let keyHash: UInt32
    /// The verifier key string this was read from.
    public let verifierKey: String
    private let key: Curve25519.Signing.PublicKey

    /// Reads `<name>+<hash8hex>+<base64(0x01 ‖ 32-byte public key)>`, checking the name rules and that the hash
    /// is the key's own hash, in the order Go's `note.NewVerifier` applies them.
    public init(verifierKey: String) throws(NoteError) {
        // Split at the first two '+' only: the base64 part may itself contain '+'.
        let (nameBytes, rest) = NoteKeys.chop(Array(verifierKey.utf8), at: UInt8(ascii: "+"))
        let (hash16, key64) = NoteKeys.chop(rest, at: UInt8(ascii: "+"))
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard NoteKeys.isValidName(name) else { throw .invalidName(name) }
        guard let hash = NoteKeys.parseHex8(hash16) else { throw .invalidKey("the key hash must be 8 hexadecimal digits") }
        guard let keyBytes = NoteBase64.decode(key64), let algorithm = keyBytes.first else {
            throw .invalidKey("the key data is not standard base64")
        }
        guard NoteKeys.keyHash(name: name, publicKey: keyBytes) == hash else {
            throw .invalidKey("the key hash does not match the key")
        }
        guard algorithm == NoteKeys.algorithmEd25519 else { throw .invalidKey("unknown key algorithm \(algorithm)") }
        guard keyBytes.count == 33, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes.dropFirst()) else {
            throw .invalidKey("an Ed25519 public key is 32 bytes")
        }
        self.name = name
        self.keyHash = hash
        self.verifierKey = verifierKey
        self.key = key
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }
}

/// One signature line of a note.
public struct NoteSignature: Sendable, Equatable {
    /// The key name on the line.
    public let name: String
    /// The key hash (the first 4 bytes of the decoded signature).
    public let keyHash: UInt32
    /// The signature proper, without the 4-byte key hash.
    public let signature: [UInt8]
    /// True when a trusted verifier checked it; false for a key `Note.open` did not know.
    public let verified: Bool

    /// Creates a signature record, as `Note.open` reports each signature line.
    public init(name: String, keyHash: UInt32, signature: [UInt8], verified: Bool) {
        self.name = name
        self.keyHash = keyHash
        self.signature = signature
        self.verified = verified
    }
}

/// A signed note: a text ending in a newline, a blank line, then lines `— <name> <base64(hash4 ‖ signature)>`.
public struct Note: Sendable, Equatable {
    /// Go refuses notes with more signature lines than this, to bound the work of opening one.
    public static let maximumSignatures = 100

    /// The signed text, including its final newline.
    public let text: String
    /// The signatures in the order of their lines; duplicates are dropped as Go drops them.
    public let signatures: [NoteSignature]

    /// Creates a note record, as `Note.open` returns it.
    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` with every signer and returns the encoded note, `text + "\n" + one line per signer`.
    ///
    /// Refuses a text that does not end in a newline or that holds a control character other than newline,
    /// since `open` (here and in Go) would reject the result.
    public static func sign(text: String, signers: [NoteSigner]) throws(NoteError) -> [UInt8] {
        let textBytes = Array(text.utf8)
        guard textBytes.last == NoteKeys.newline else { throw .malformed("the text must end with a newline") }
        guard !textBytes.contains(where: { $0 < 0x20 && $0 != NoteKeys.newline }) else {
            throw .malformed("the text contains a control character other than newline")
        }
        guard !signers.isEmpty else { throw .malformed("a note needs at least one signature") }
        guard signers.count <= maximumSignatures else { throw .tooManySignatures }
        var out = textBytes
        out.append(NoteKeys.newline)
        for signer in signers {
            guard NoteKeys.isValidName(signer.name) else { throw .invalidName(signer.name) }
            let signature = try signer.sign(textBytes)
            out += NoteKeys.signaturePrefix
            out += Array(signer.name.utf8)
            out.append(UInt8(ascii: " "))
            out += Array(NoteBase64.encode(NoteKeys.bigEndian(signer.keyHash) + signature).utf8)
            out.append(NoteKeys.newline)
        }
        return out
    }

    /// Parses `bytes` as a signed note and checks its signatures against `verifiers`, with exactly the rules of
    /// Go's `note.Open`:
    ///
    /// - the whole note is valid UTF-8 with no control character below U+0020 other than newline;
    /// - the text ends at the last blank line, and the signature block after it ends with a newline;
    /// - each signature line is `— ` (U+2014, space), a valid key name, a space, and standard base64 of at least
    ///   5 bytes (4-byte key hash, then the signature);
    /// - more than 100 signature lines are refused;
    /// - a signature whose name and hash match no verifier is kept as unverified (identical lines once);
    /// - a matching verifier must accept it (repeated signatures by one key are checked once), otherwise the
    ///   whole note is refused;
    /// - at least one signature must verify.
    public static func open(_ bytes: [UInt8], verifiers: [NoteVerifier]) throws(NoteError) -> Note {
        try NoteKeys.checkCharacters(bytes)
        guard let split = NoteKeys.lastBlankLine(in: bytes) else {
            throw .malformed("no blank line separates the text from the signatures")
        }
        let textBytes = Array(bytes[...split])
        var rest = bytes[(split + 2)...]
        guard let last = rest.last, last == NoteKeys.newline else {
            throw .malformed("the signature block is empty or does not end with a newline")
        }

        var signatures: [NoteSignature] = []
        var seenVerified: Set<NoteKeys.KeyID> = []
        var seenUnverified: Set<ArraySlice<UInt8>> = []
        var count = 0
        while let end = rest.firstIndex(of: NoteKeys.newline) {
            let line = rest[..<end]
            rest = rest[(end + 1)...]
            guard line.starts(with: NoteKeys.signaturePrefix) else {
                throw .malformed("a signature line must start with an em dash (U+2014) and a space")
            }
            let body = line.dropFirst(NoteKeys.signaturePrefix.count)
            let (nameBytes, base64) = NoteKeys.chop(body, at: UInt8(ascii: " "))
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard let decoded = NoteBase64.decode(base64), NoteKeys.isValidName(name), !base64.isEmpty, decoded.count >= 5 else {
                throw .malformed("a signature line must be \"— <key name> <base64 key hash and signature>\"")
            }
            let hash = decoded.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let signature = Array(decoded.dropFirst(4))

            count += 1
            if count > maximumSignatures { throw .tooManySignatures }

            // Names compare as bytes, as in Go: Swift's == would equate different Unicode normalizations.
            let matching = verifiers.filter { $0.keyHash == hash && $0.name.utf8.elementsEqual(nameBytes) }
            if matching.isEmpty {
                if seenUnverified.insert(body).inserted {
                    signatures.append(NoteSignature(name: name, keyHash: hash, signature: signature, verified: false))
                }
                continue
            }
            guard matching.count == 1 else { throw .ambiguousKey(name: name, keyHash: hash) }
            guard seenVerified.insert(NoteKeys.KeyID(name: Array(nameBytes), hash: hash)).inserted else { continue }
            guard matching[0].verify(textBytes, signature: signature) else {
                throw .invalidSignature(name: name, keyHash: hash)
            }
            signatures.append(NoteSignature(name: name, keyHash: hash, signature: signature, verified: true))
        }

        guard signatures.contains(where: \.verified) else {
            throw .unverified(unknownKeys: signatures.map { "\($0.name)+\(NoteKeys.hex8($0.keyHash))" })
        }
        return Note(text: String(decoding: textBytes, as: UTF8.self), signatures: signatures)
    }
}

/// Key-string and note-syntax helpers shared by the signed-note and checkpoint code.
enum NoteKeys {
    static let algorithmEd25519: UInt8 = 0x01
    static let newline = UInt8(ascii: "\n")
    /// "— " : U+2014 EM DASH in UTF-8, then a space.
    static let signaturePrefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]

    struct KeyID: Hashable {
        let name: [UInt8]
        let hash: UInt32
    }

    /// First 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ algorithm byte ‖ public key).
    static func keyHash(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256.hash(data: Array(name.utf8) + [newline] + publicKey)
        return digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Go's rule: non-empty, and no Unicode space or '+'. (A Swift string is always valid Unicode.)
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Exactly 8 hexadecimal digits, either case, as Go's `len(h) == 8 && ParseUint(h, 16, 32)` accepts.
    static func parseHex8(_ bytes: some Collection<UInt8>) -> UInt32? {
        guard bytes.count == 8 else { return nil }
        var value: UInt32 = 0
        for byte in bytes {
            guard let digit = hexDigit(byte) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// Go's `chop`: the bytes before the first `separator` and those after it (all bytes and none if absent).
    /// Works on bytes, not Characters, so a '+' followed by a combining mark still splits as it does in Go.
    static func chop<C: Collection<UInt8>>(_ bytes: C, at separator: UInt8) -> (before: C.SubSequence, after: C.SubSequence) {
        guard let i = bytes.firstIndex(of: separator) else { return (bytes[...], bytes[bytes.endIndex...]) }
        return (bytes[..<i], bytes[bytes.index(after: i)...])
    }

    /// Valid UTF-8 (no overlong forms, surrogates or values above U+10FFFF) and no control character below
    /// U+0020 other than newline, as Go's `note.Open` requires before anything else.
    static func checkCharacters(_ bytes: [UInt8]) throws(NoteError) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar.value < 0x20 && scalar.value != 0x0A {
                    throw .malformed("the note contains a control character other than newline")
                }
            case .emptyInput: return
            case .error: throw .malformed("the note is not valid UTF-8")
            }
        }
    }

    /// The index of the first byte of the last "\n\n" in `bytes`.
    static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == newline && bytes[i + 1] == newline { return i }
            i -= 1
        }
        return nil
    }
}

/// Standard base64 with padding, as signed notes write keys and signatures; strict when a value must have one
/// spelling, otherwise skipping line breaks as Go's decoder does.
enum NoteBase64 {
    static func encode(_ bytes: some Collection<UInt8>) -> String { Base64.standard.encode(bytes) }

    static func decode(_ text: String, strict: Bool = false) -> [UInt8]? {
        Base64.standard.decode(text, strict: strict, ignoringNewlines: !strict)
    }

    static func decode(_ text: some Collection<UInt8>, strict: Bool = false) -> [UInt8]? {
        Base64.standard.decode(text, strict: strict, ignoringNewlines: !strict)
    }
}
