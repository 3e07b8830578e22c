import Crypto
import Foundation

// SSH signatures (OpenSSH's PROTOCOL.sshsig, the format git uses for signed commits), Ed25519 only: what a
// person signs an event with, using a key of their own, so that `ssh-keygen -Y verify` can check any signature
// with no hria code at all.

/// Why an SSH key or signature is refused.
public enum SSHSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)
    case namespace(expected: String, found: String)
    case otherKey
    case badSignature

    public var description: String {
        switch self {
        case .malformed(let what): "not a valid SSH signature or key: \(what)"
        case .unsupported(let what): "unsupported: \(what) (hria uses Ed25519 keys and SHA-512)"
        case .namespace(let expected, let found): "the signature is for \"\(found)\", not \"\(expected)\""
        case .otherKey: "the signature was made with another key"
        case .badSignature: "the signature does not match the signed bytes"
        }
    }
}

/// An Ed25519 public key in OpenSSH's forms: the `ssh-ed25519 AAAA…` line of `authorized_keys` and
/// `allowed_signers`, and the wire blob inside signatures.
public struct SSHPublicKey: Sendable, Hashable {
    public static let algorithm = "ssh-ed25519"
    /// The 32 bytes of the Ed25519 public key.
    public let raw: [UInt8]

    public init?(raw: [UInt8]) {
        guard raw.count == 32 else { return nil }
        self.raw = raw
    }

    /// Reads `ssh-ed25519 BASE64 [comment]`.
    public init(authorizedKey line: String) throws(SSHSignatureError) {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2 else { throw .malformed("a key is written \"ssh-ed25519 AAAA…\"") }
        guard parts[0] == Self.algorithm else { throw .unsupported("key type \(parts[0])") }
        guard let blob = Base64.standard.decode(String(parts[1]), strict: true) else { throw .malformed("the key is not base64") }
        // The type named in front is checked again inside the blob.
        try self.init(blob: blob)
    }

    /// Reads the wire blob: string "ssh-ed25519", string key.
    public init(blob: [UInt8]) throws(SSHSignatureError) {
        var reader = SSHWireReader(blob)
        guard try reader.string() == Array(Self.algorithm.utf8) else { throw .unsupported("a key that is not Ed25519") }
        let raw = try reader.string()
        guard raw.count == 32, reader.atEnd else { throw .malformed("an Ed25519 key is 32 bytes") }
        self.raw = raw
    }

    public var blob: [UInt8] {
        var out = SSHWireWriter()
        out.string(Array(Self.algorithm.utf8))
        out.string(raw)
        return out.bytes
    }

    /// `ssh-ed25519 AAAA…`, as `authorized_keys` and `allowed_signers` write it.
    public var authorizedKey: String { "\(Self.algorithm) \(Base64.standard.encode(blob))" }

    /// OpenSSH's fingerprint, `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        "SHA256:" + Base64.standard.encode(Digest.sha256(blob)).replacingOccurrences(of: "=", with: "")
    }
}

/// An Ed25519 private key held by the person it belongs to: read from an unencrypted OpenSSH private key file
/// (`ssh-keygen -t ed25519 -N ""` makes one), or made fresh and written in that format.
public struct SSHPrivateKey: Sendable {
    let key: Curve25519.Signing.PrivateKey
    public let publicKey: SSHPublicKey
    public var comment: String

    /// A fresh key.
    public init(comment: String) {
        self.init(key: Curve25519.Signing.PrivateKey(), comment: comment)
    }

    /// The key whose 32-byte seed is given: for the fuzz targets, which need the same key in every process.
    @_spi(Fuzzing) public init?(seed: [UInt8], comment: String) {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.init(key: key, comment: comment)
    }

    private init(key: Curve25519.Signing.PrivateKey, comment: String) {
        self.key = key
        // An Ed25519 public key is always 32 bytes.
        publicKey = SSHPublicKey(rawUnchecked: Array(key.publicKey.rawRepresentation))
        self.comment = comment
    }

    /// The armour's type; the lines are `-----BEGIN TYPE-----` and `-----END TYPE-----`, as in PEM.
    private static let armorType = "OPENSSH PRIVATE KEY"
    private static let armorBegin = "-----BEGIN \(armorType)-----"
    private static let armorEnd = "-----END \(armorType)-----"
    private static let authMagic = Array("openssh-key-v1".utf8) + [0]

    /// Reads an OpenSSH private key file. Encrypted keys are refused with a message saying to use ssh-agent.
    public init(openSSH text: String) throws(SSHSignatureError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: Self.armorBegin), let end = lines.firstIndex(of: Self.armorEnd), begin < end,
              let blob = Base64.standard.decode(lines[(begin + 1)..<end].joined(), strict: true) else {
            throw .malformed("not an OpenSSH private key (\(Self.armorBegin))")
        }
        guard blob.starts(with: Self.authMagic) else { throw .malformed("not an openssh-key-v1 key") }
        var reader = SSHWireReader(Array(blob.dropFirst(Self.authMagic.count)))
        let cipher = try reader.string(), kdf = try reader.string()
        _ = try reader.string()
        guard cipher == Array("none".utf8), kdf == Array("none".utf8) else {
            throw .unsupported("a passphrase-protected key; load it into ssh-agent instead")
        }
        guard try reader.uint32() == 1 else { throw .unsupported("a file holding several keys") }
        let publicBlob = try reader.string()
        var secret = SSHWireReader(try reader.string())
        guard reader.atEnd else { throw .malformed("bytes after the key") }
        guard try secret.uint32() == secret.uint32() else { throw .malformed("the key's check numbers differ") }
        guard try secret.string() == Array(SSHPublicKey.algorithm.utf8) else { throw .unsupported("a key that is not Ed25519") }
        let publicRaw = try secret.string()
        let privateRaw = try secret.string()
        let comment = try secret.string()
        guard privateRaw.count == 64, Array(privateRaw.suffix(32)) == publicRaw,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: privateRaw.prefix(32)),
              Array(key.publicKey.rawRepresentation) == publicRaw else {
            throw .malformed("the private and public halves do not belong together")
        }
        let publicKey = try SSHPublicKey(blob: publicBlob)
        guard publicKey.raw == publicRaw else { throw .malformed("the key file names two different public keys") }
        // What remains is padding 1, 2, 3, … up to the cipher's block size.
        var expected: UInt8 = 1
        while !secret.atEnd {
            guard try secret.byte() == expected else { throw .malformed("bad padding") }
            expected &+= 1
        }
        self.key = key
        self.publicKey = publicKey
        self.comment = String(decoding: comment, as: UTF8.self)
    }

    /// The key as an unencrypted OpenSSH private key file, which `ssh-keygen` and `ssh-add` read.
    public var openSSH: String {
        var secret = SSHWireWriter()
        // Two equal check numbers; any value will do, and a fixed one keeps the file a function of the key.
        let check = UInt32(truncatingIfNeeded: Digest.sha256(publicKey.raw).prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
        secret.uint32(check)
        secret.uint32(check)
        secret.string(Array(SSHPublicKey.algorithm.utf8))
        secret.string(publicKey.raw)
        secret.string(Array(key.rawRepresentation) + publicKey.raw)
        secret.string(Array(comment.utf8))
        var pad: UInt8 = 1
        while secret.bytes.count % 8 != 0 {
            secret.bytes.append(pad)
            pad += 1
        }
        var out = SSHWireWriter()
        out.bytes = Self.authMagic
        out.string(Array("none".utf8))
        out.string(Array("none".utf8))
        out.string([])
        out.uint32(1)
        out.string(publicKey.blob)
        out.string(secret.bytes)
        let encoded = Base64.standard.encode(out.bytes)
        var text = Self.armorBegin + "\n"
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let next = encoded.index(index, offsetBy: 70, limitedBy: encoded.endIndex) ?? encoded.endIndex
            text += encoded[index..<next] + "\n"
            index = next
        }
        return text + Self.armorEnd + "\n"
    }

    /// The plain Ed25519 signature of `message`, for HTTP message signatures (RFC 9421's `ed25519`), whose signature
    /// base can never be taken for an SSHSIG's signed data (docs/SERVER.md).
    public func signRaw(_ message: [UInt8]) throws(SSHSignatureError) -> [UInt8] {
        guard let signature = try? key.signature(for: message) else { throw .badSignature }
        return Array(signature)
    }

    /// Signs `message` for `namespace` (hria's events use `hria-event`): the SSHSIG blob.
    public func sign(_ message: some DataProtocol, namespace: String) throws(SSHSignatureError) -> [UInt8] {
        let signed = SSHSignature.signedData(message: message, namespace: namespace)
        guard let signature = try? key.signature(for: signed) else { throw .badSignature }
        var inner = SSHWireWriter()
        inner.string(Array(SSHPublicKey.algorithm.utf8))
        inner.string(Array(signature))
        return SSHSignature.blob(publicKey: publicKey, namespace: namespace, signature: inner.bytes)
    }
}

extension SSHPublicKey {
    fileprivate init(rawUnchecked: [UInt8]) { raw = rawUnchecked }
}

/// SSHSIG blobs: checking one, and the armoured text `ssh-keygen -Y sign` writes.
public enum SSHSignature {
    static let magic = Array("SSHSIG".utf8)
    static let version: UInt32 = 1
    static let hashAlgorithm = "sha512"
    private static let armorBegin = "-----BEGIN SSH SIGNATURE-----", armorEnd = "-----END SSH SIGNATURE-----"

    /// What is actually signed: the magic, the namespace, an empty reserved field, the hash algorithm and the
    /// message's hash, so a signature for one namespace can never pass for another.
    static func signedData(message: some DataProtocol, namespace: String) -> [UInt8] {
        var out = SSHWireWriter()
        out.bytes = magic
        out.string(Array(namespace.utf8))
        out.string([])
        out.string(Array(hashAlgorithm.utf8))
        out.string(Array(SHA512.hash(data: message)))
        return out.bytes
    }

    /// The SSHSIG blob around an SSH signature (`string "ssh-ed25519", string sig`) of `signedData`.
    static func blob(publicKey: SSHPublicKey, namespace: String, signature: [UInt8]) -> [UInt8] {
        var out = SSHWireWriter()
        out.bytes = magic
        out.uint32(version)
        out.string(publicKey.blob)
        out.string(Array(namespace.utf8))
        out.string([])
        out.string(Array(hashAlgorithm.utf8))
        out.string(signature)
        return out.bytes
    }

    /// Checks an SSHSIG blob over `message`: its namespace must be `namespace` and its key `publicKey`.
    public static func verify(_ blob: [UInt8], message: some DataProtocol, namespace: String,
                              publicKey: SSHPublicKey) throws(SSHSignatureError) {
        guard blob.starts(with: magic) else { throw .malformed("no SSHSIG preamble") }
        var reader = SSHWireReader(Array(blob.dropFirst(magic.count)))
        guard try reader.uint32() == version else { throw .unsupported("an SSHSIG version other than 1") }
        let signer = try SSHPublicKey(blob: try reader.string())
        let signedNamespace = String(decoding: try reader.string(), as: UTF8.self)
        _ = try reader.string()
        let hash = String(decoding: try reader.string(), as: UTF8.self)
        var inner = SSHWireReader(try reader.string())
        guard reader.atEnd else { throw .malformed("bytes after the signature") }
        guard signedNamespace == namespace else { throw .namespace(expected: namespace, found: signedNamespace) }
        guard hash == hashAlgorithm else { throw .unsupported("the hash \(hash)") }
        guard signer == publicKey else { throw .otherKey }
        guard try inner.string() == Array(SSHPublicKey.algorithm.utf8) else { throw .unsupported("a signature that is not Ed25519") }
        let signature = try inner.string()
        guard inner.atEnd, signature.count == 64 else { throw .malformed("an Ed25519 signature is 64 bytes") }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey.raw),
              key.isValidSignature(signature, for: signedData(message: message, namespace: namespace)) else {
            throw .badSignature
        }
    }

    /// The armoured text, as `ssh-keygen -Y sign` writes it: base64 in lines of 76 characters.
    public static func armored(_ blob: [UInt8]) -> String {
        let encoded = Base64.standard.encode(blob)
        var text = armorBegin + "\n"
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let next = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            text += encoded[index..<next] + "\n"
            index = next
        }
        return text + armorEnd + "\n"
    }

    /// The blob inside armoured text.
    public static func dearmored(_ text: String) throws(SSHSignatureError) -> [UInt8] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: armorBegin), let end = lines.firstIndex(of: armorEnd), begin < end,
              let blob = Base64.standard.decode(lines[(begin + 1)..<end].joined(), strict: true) else {
            throw .malformed("not an armoured SSH signature (-----BEGIN SSH SIGNATURE-----)")
        }
        return blob
    }
}

/// SSH's wire encoding (RFC 4251 §5): big-endian uint32, and strings as a uint32 length and the bytes.
struct SSHWireWriter {
    var bytes: [UInt8] = []

    mutating func uint32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    mutating func string(_ value: [UInt8]) {
        uint32(UInt32(value.count))
        bytes += value
    }
}

struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func byte() throws(SSHSignatureError) -> UInt8 {
        guard offset < bytes.count else { throw .malformed("cut short") }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func uint32() throws(SSHSignatureError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw .malformed("cut short") }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func string() throws(SSHSignatureError) -> [UInt8] {
        let count = Int(try uint32())
        guard count <= bytes.count - offset else { throw .malformed("a length runs past the end") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
