import Foundation
import Testing
@testable import HRIAKit
import HRIATestSupport

/// Signed notes against Go's golang.org/x/mod/sumdb/note (its package documentation and note_test.go) and the
/// C2SP signed-note specification's example. The key strings, texts and signature lines below are theirs,
/// copied as published facts.
@Suite("SignedNote")
struct SignedNoteTests {
    static let peterPrivateKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let peterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let enochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterSig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    /// Its base64 holds '+' and '/', which a naive split or URL-safe decoding would break.
    static let enochSig = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

    /// The C2SP signed-note example key and note (c2sp.org/signed-note, "Verifier keys" example).
    static let specKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let specNote = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static var peter: NoteVerifier { get throws { try NoteVerifier(verifierKey: peterKey) } }
    static var enoch: NoteVerifier { get throws { try NoteVerifier(verifierKey: enochKey) } }

    static func openError(_ message: [UInt8], _ verifiers: [NoteVerifier]) -> NoteError? {
        do {
            _ = try Note.open(message, verifiers: verifiers)
            return nil
        } catch {
            return error
        }
    }

    static func isMalformed(_ error: NoteError?) -> Bool {
        if case .malformed = error { return true }
        return false
    }

    // MARK: Go's example, byte for byte

    @Test("Go's PeterNeumann key reads back with its published verifier key and hash")
    func goKeys() throws {
        let signer = try NoteSigner(privateKey: Self.peterPrivateKey)
        #expect(signer.name == "PeterNeumann")
        #expect(signer.keyHash == 0xc74f20a3)
        #expect(signer.verifierKey == Self.peterKey)
        let verifier = try Self.peter
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyHash == 0xc74f20a3)
        #expect(verifier.verifierKey == Self.peterKey)
        #expect(signer.verifier.keyHash == verifier.keyHash)
        // Interpolating a signer must not print its seed.
        #expect("\(signer)" == "NoteSigner(PeterNeumann+c74f20a3)")
        #expect(String(reflecting: signer) == "NoteSigner(PeterNeumann+c74f20a3)")
        let enoch = try Self.enoch
        #expect(enoch.name == "EnochRoot" && enoch.keyHash == 0xaf0cfe78)
    }

    @Test("signing Go's example text reproduces the published note (byte for byte on Linux)")
    func goExampleSignature() throws {
        let signer = try NoteSigner(privateKey: Self.peterPrivateKey)
        let expected = Self.bytes(Self.text + "\n" + Self.peterSig)
        let signed = try Note.sign(text: Self.text, signers: [signer])
        #if os(Linux)
        // BoringSSL's Ed25519 is deterministic (RFC 8032), as Go's is; Apple's CryptoKit randomizes signatures.
        #expect(signed == expected)
        #endif
        #expect(signed.count == expected.count)
        let opened = try Note.open(signed, verifiers: [try Self.peter])
        #expect(opened.text == Self.text)

        let note = try Note.open(expected, verifiers: [try Self.peter])
        #expect(note.text == Self.text)
        #expect(note.signatures.count == 1)
        #expect(note.signatures.first?.name == "PeterNeumann")
        #expect(note.signatures.first?.keyHash == 0xc74f20a3)
        #expect(note.signatures.first?.verified == true)
        #expect(note.signatures.first?.signature.count == 64)
    }

    @Test("Go's doubly-signed example opens with both keys; '+' and '/' inside base64 decode correctly")
    func goDoublySigned() throws {
        let message = Self.bytes(Self.text + "\n" + Self.peterSig + Self.enochSig)
        let both = try Note.open(message, verifiers: [try Self.peter, try Self.enoch])
        #expect(both.signatures.map(\.name) == ["PeterNeumann", "EnochRoot"])
        #expect(both.signatures.allSatisfy { $0.verified })

        let onlyPeter = try Note.open(message, verifiers: [try Self.peter])
        #expect(onlyPeter.signatures.map(\.verified) == [true, false])
        #expect(onlyPeter.signatures[1].keyHash == 0xaf0cfe78)

        let onlyEnoch = try Note.open(message, verifiers: [try Self.enoch])
        #expect(onlyEnoch.signatures.map(\.verified) == [false, true])
    }

    // MARK: Go's TestOpen

    @Test("no trusted key: UnverifiedNoteError, naming the keys that did sign")
    func unverified() throws {
        let message = Self.bytes(Self.text + "\n" + Self.peterSig + Self.enochSig)
        #expect(Self.openError(message, []) == .unverified(unknownKeys: ["PeterNeumann+c74f20a3", "EnochRoot+af0cfe78"]))
        // A key with the right name but another hash is a different key, so the note stays unverified.
        let (other, _, _) = try NoteSigner.generate(name: "PeterNeumann")
        #expect(Self.openError(Self.bytes(Self.text + "\n" + Self.peterSig), [other.verifier])
                == .unverified(unknownKeys: ["PeterNeumann+c74f20a3"]))
        #expect(Self.openError(Self.bytes(Self.text + "\n" + Self.peterSig), [other.verifier])?.description
                .contains("no signature from a trusted key") == true)
    }

    @Test("a trusted key listed twice is ambiguous only when a signature needs it")
    func duplicatedVerifier() throws {
        let list = [try Self.enoch, try Self.peter, try Self.enoch]
        #expect(Self.openError(Self.bytes(Self.text + "\n" + Self.enochSig), list)
                == .ambiguousKey(name: "EnochRoot", keyHash: 0xaf0cfe78))
        #expect(Self.openError(Self.bytes(Self.text + "\n" + Self.peterSig), list) == nil)
    }

    @Test("more than 100 signatures are refused, trusted or not; 100 are accepted")
    func tooManySignatures() throws {
        let many = Self.bytes(Self.text + "\n" + String(repeating: Self.peterSig, count: 101))
        #expect(Self.openError(many, [try Self.peter]) == .tooManySignatures)
        #expect(Self.openError(many, []) == .tooManySignatures)
        let hundred = Self.bytes(Self.text + "\n" + String(repeating: Self.peterSig, count: 100))
        let note = try Note.open(hundred, verifiers: [try Self.peter])
        #expect(note.signatures.count == 1, "repeated signatures by one key count once")
    }

    @Test("a trusted key's bad signature rejects the whole note (InvalidSignatureError)")
    func invalidSignature() throws {
        let peterSig = Self.bytes(Self.peterSig)
        let broken = peterSig[..<60] + Self.bytes("ABCD") + peterSig[60...]
        let message = Self.bytes(Self.text + "\n") + broken
        #expect(Self.openError(message, [try Self.peter]) == .invalidSignature(name: "PeterNeumann", keyHash: 0xc74f20a3))
        #expect(Self.openError(message, [try Self.peter])?.description.contains("PeterNeumann+c74f20a3") == true)
    }

    @Test("duplicated verified and unverified signatures are dropped as Go drops them")
    func duplicates() throws {
        let enochSig = Self.bytes(Self.enochSig)
        let enochABCD = Array(enochSig[..<60] + Self.bytes("ABCD") + enochSig[60...])
        let message = Self.bytes(Self.text + "\n" + Self.peterSig + Self.peterSig + Self.enochSig + Self.enochSig) + enochABCD
        let note = try Note.open(message, verifiers: [try Self.peter])
        #expect(note.signatures.map(\.name) == ["PeterNeumann", "EnochRoot", "EnochRoot"])
        #expect(note.signatures.map(\.verified) == [true, false, false])
        #expect(note.signatures[1].signature != note.signatures[2].signature)
        // A repeated line by a trusted key is checked once: Go skips it even when it is broken.
        let peterSig = Self.bytes(Self.peterSig)
        let brokenPeter = Array(peterSig[..<60] + Self.bytes("ABCD") + peterSig[60...])
        let second = Self.bytes(Self.text + "\n" + Self.peterSig) + brokenPeter
        #expect(try Note.open(second, verifiers: [try Self.peter]).signatures.count == 1)
    }

    @Test("Go's malformed notes are all refused as malformed")
    func goMalformedNotes() throws {
        let text = Self.text, peterSig = Self.peterSig
        let bad: [[UInt8]] = [
            Self.bytes(text),
            Self.bytes(text + "\n"),
            Self.bytes(text + "\n" + String(peterSig.dropLast())),
            [0x01] + Self.bytes(text + "\n" + peterSig),
            [0xFF] + Self.bytes(text + "\n" + peterSig),
            Self.bytes(text + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
            Self.bytes(text + "\n" + peterSig + "Unexpected line.\n"),
        ]
        for message in bad {
            let error = Self.openError(message, [try Self.peter])
            #expect(Self.isMalformed(error), "\(String(decoding: message, as: UTF8.self).debugDescription): \(String(describing: error))")
        }
    }

    // MARK: Further malformed notes

    @Test("format rules: em dash, blank line, control characters, UTF-8, names, base64")
    func malformedNotes() throws {
        let text = Self.text, sig = String(Self.peterSig.dropFirst(2)) // "PeterNeumann x08go…\n"
        let cases: [(String, [UInt8])] = [
            ("ASCII hyphen instead of U+2014", Self.bytes(text + "\n- " + sig)),
            ("en dash U+2013", Self.bytes(text + "\n– " + sig)),
            ("em dash without space", Self.bytes(text + "\n—" + sig)),
            ("no blank line", Self.bytes(text + Self.peterSig)),
            ("carriage return in text", Self.bytes("If you think\r\n" + "\n" + Self.peterSig)),
            ("CRLF line ends", Self.bytes(text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n" + Self.peterSig)),
            ("\\x01 in text", Self.bytes("a\u{01}b\n\n" + Self.peterSig)),
            ("tab in text", Self.bytes("a\tb\n\n" + Self.peterSig)),
            ("NUL in text", Self.bytes("a\u{00}b\n\n" + Self.peterSig)),
            ("invalid UTF-8 byte", Self.bytes("a") + [0xC3] + Self.bytes("\n\n" + Self.peterSig)),
            ("overlong UTF-8", Self.bytes("a") + [0xC0, 0xAF] + Self.bytes("\n\n" + Self.peterSig)),
            ("UTF-8 surrogate", Self.bytes("a") + [0xED, 0xA0, 0x80] + Self.bytes("\n\n" + Self.peterSig)),
            ("above U+10FFFF", Self.bytes("a") + [0xF4, 0x90, 0x80, 0x80] + Self.bytes("\n\n" + Self.peterSig)),
            ("name with a space", Self.bytes(text + "\n— Peter Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")),
            ("name with a no-break space", Self.bytes(text + "\n— Peter\u{00A0}Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")),
            ("name with an em space", Self.bytes(text + "\n— Peter\u{2003}Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")),
            ("name with a plus", Self.bytes(text + "\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")),
            ("empty name", Self.bytes(text + "\n—  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")),
            ("no signature after the name", Self.bytes(text + "\n— PeterNeumann\n")),
            ("empty signature", Self.bytes(text + "\n— PeterNeumann \n")),
            ("signature of 4 bytes (a key hash alone)", Self.bytes(text + "\n— PeterNeumann x08gow==\n")),
            ("signature of 3 bytes", Self.bytes(text + "\n— PeterNeumann x08g\n")),
            ("unpadded base64", Self.bytes(text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n")),
            ("URL-safe base64", Self.bytes(text + "\n— EnochRoot rwz-eBzmZa0SO3NbfRGzPCpDckykFXSdeX-MNtCOXm2_5n2tiOHp-vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc-QQ=\n")),
            ("base64 with a space inside", Self.bytes(text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6 RyyBwJnAM=\n")),
            ("data after padding", Self.bytes(text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=AAAA\n")),
            ("signature block without final newline", Self.bytes(text + "\n" + String(Self.peterSig.dropLast()))),
            ("empty input", []),
        ]
        for (what, message) in cases {
            let error = Self.openError(message, [try Self.peter, try Self.enoch])
            #expect(Self.isMalformed(error), "\(what): \(String(describing: error))")
        }
    }

    @Test("the text ends at the last blank line: a blank line inside the signatures moves the split")
    func lastBlankLine() throws {
        // The text now includes Peter's line, so Enoch's signature no longer matches it.
        let message = Self.bytes(Self.text + "\n" + Self.peterSig + "\n" + Self.enochSig)
        #expect(Self.openError(message, [try Self.peter, try Self.enoch]) == .invalidSignature(name: "EnochRoot", keyHash: 0xaf0cfe78))
        #expect(Self.openError(message, [try Self.peter]) == .unverified(unknownKeys: ["EnochRoot+af0cfe78"]))
    }

    @Test("signed only by an unknown key, or with a wrong key hash: no trusted signature")
    func unknownKeys() throws {
        let (stranger, _, _) = try NoteSigner.generate(name: "stranger.example/key")
        let byStranger = try Note.sign(text: Self.text, signers: [stranger])
        #expect(Self.openError(byStranger, [try Self.peter]) == .unverified(unknownKeys: [stranger.verifier.verifierKey
                .split(separator: "+").prefix(2).joined(separator: "+")]))
        // "x08g" carries the key hash; "xxxx" turns it into another (unknown) key's hash.
        let wrongHash = Self.bytes(Self.text + "\n" + Self.peterSig.replacingOccurrences(of: "x08g", with: "xxxx"))
        guard case .unverified(let keys) = Self.openError(wrongHash, [try Self.peter]) else {
            Issue.record("a signature with a wrong key hash was not treated as an unknown key")
            return
        }
        #expect(keys.count == 1 && keys[0].hasPrefix("PeterNeumann+") && keys[0] != "PeterNeumann+c74f20a3")
        // Same hash, different name: also a different key.
        let renamed = Self.bytes(Self.text + "\n" + Self.peterSig.replacingOccurrences(of: "PeterNeumann", with: "CarmenSandiego"))
        #expect(Self.openError(renamed, [try Self.peter]) == .unverified(unknownKeys: ["CarmenSandiego+c74f20a3"]))
    }

    @Test("a flipped byte of the signed text is an invalid signature")
    func flippedText() throws {
        var message = Self.bytes(Self.text + "\n" + Self.peterSig)
        for position in [0, 10, Self.text.utf8.count - 2] {
            message[position] ^= 0x01
            #expect(Self.openError(message, [try Self.peter]) == .invalidSignature(name: "PeterNeumann", keyHash: 0xc74f20a3),
                    "byte \(position)")
            message[position] ^= 0x01
        }
        #expect(Self.openError(message, [try Self.peter]) == nil)
    }

    // MARK: The C2SP specification's examples

    @Test("the C2SP signed-note example verifies; a changed byte does not")
    func specExample() throws {
        let verifier = try NoteVerifier(verifierKey: Self.specKey)
        #expect(verifier.name == "example.com/foo")
        #expect(verifier.keyHash == 0x530d903a)
        let note = try Note.open(Self.bytes(Self.specNote), verifiers: [verifier])
        #expect(note.text == "This is an example message.\n")
        #expect(note.signatures.map(\.verified) == [true])
        var flipped = Self.bytes(Self.specNote)
        flipped[5] ^= 0x20
        #expect(Self.openError(flipped, [verifier]) == .invalidSignature(name: "example.com/foo", keyHash: 0x530d903a))
    }

    @Test("the C2SP introduction's note: non-ASCII text with a blank line inside, split at the last blank line")
    func specPoem() throws {
        let poem = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
        let message = Self.bytes(poem + "\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n")
        // Its verifier key is not published, so the best a reader can do is parse it and find no trusted key.
        #expect(Self.openError(message, [try Self.peter]) == .unverified(unknownKeys: ["quasimodo.example/salvatore+367ba04b"]))
        // The same text signed by us round-trips, blank line and all.
        let (signer, _, _) = try NoteSigner.generate(name: "quasimodo.example/salvatore")
        let ours = try Note.open(try Note.sign(text: poem, signers: [signer]), verifiers: [signer.verifier])
        #expect(ours.text == poem)
    }

    // MARK: Keys

    @Test("every truncation and every single-byte change of Go's verifier key is refused (TestNewVerifier)")
    func mangledVerifierKeys() {
        let key = Self.bytes(Self.peterKey)
        var accepted: [String] = []
        for i in 0...key.count {
            for j in (i + 1)..<(key.count + 1) where !(i == 0 && j == key.count) {
                let candidate = String(decoding: key[i..<j], as: UTF8.self)
                if (try? NoteVerifier(verifierKey: candidate)) != nil { accepted.append(candidate) }
            }
        }
        for i in key.indices {
            var changed = key
            changed[i] &+= 1
            let candidate = String(decoding: changed, as: UTF8.self)
            if (try? NoteVerifier(verifierKey: candidate)) != nil { accepted.append(candidate) }
        }
        // Wrong key length and unknown algorithm, each with the key hash adjusted to match (Go's own cases).
        for candidate in ["PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                          "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"]
        where (try? NoteVerifier(verifierKey: candidate)) != nil {
            accepted.append(candidate)
        }
        #expect(accepted.isEmpty, "accepted: \(accepted)")
    }

    @Test("every truncation and every single-byte change of Go's private key is refused (TestNewSigner)")
    func mangledPrivateKeys() {
        let key = Self.bytes(Self.peterPrivateKey)
        var accepted: [String] = []
        for i in 0...key.count {
            for j in (i + 1)..<(key.count + 1) where !(i == 0 && j == key.count) {
                let candidate = String(decoding: key[i..<j], as: UTF8.self)
                if (try? NoteSigner(privateKey: candidate)) != nil { accepted.append(candidate) }
            }
        }
        for i in key.indices {
            var changed = key
            changed[i] &+= 1
            let candidate = String(decoding: changed, as: UTF8.self)
            if (try? NoteSigner(privateKey: candidate)) != nil { accepted.append(candidate) }
        }
        #expect(accepted.isEmpty, "accepted: \(accepted)")
    }

    @Test("key strings: names with spaces or '+', wrong hashes, algorithms and lengths are refused with reasons")
    func keyErrors() throws {
        func verifierError(_ key: String) -> NoteError? {
            do { _ = try NoteVerifier(verifierKey: key); return nil } catch { return error }
        }
        #expect(verifierError("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == .invalidName("Peter Neumann"))
        #expect(verifierError("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == .invalidName(""))
        #expect(verifierError("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                == .invalidKey("the key hash does not match the key"))
        #expect(verifierError("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == nil,
                "Go's ParseUint accepts upper-case hex")
        #expect(verifierError("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                == .invalidKey("the key hash must be 8 hexadecimal digits"))
        #expect(verifierError("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                == .invalidKey("unknown key algorithm 101"))
        #expect(verifierError("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                == .invalidKey("an Ed25519 public key is 32 bytes"))
        #expect(verifierError(Self.peterKey.replacingOccurrences(of: "/", with: "_")) == .invalidKey("the key data is not standard base64"))
        #expect(NoteError.invalidName("a b").description.contains("without spaces or '+'"))

        #expect(throws: NoteError.invalidName("bad name")) { try NoteSigner.generate(name: "bad name") }
        #expect(throws: NoteError.invalidName("a+b")) { try NoteSigner.generate(name: "a+b") }
        #expect(throws: NoteError.invalidName("")) { try NoteSigner.generate(name: "") }
    }

    @Test("generated keys: both encodings read back, sign and verify; corrupt signatures or messages fail")
    func generatedKeys() throws {
        let (signer, privateKey, verifierKey) = try NoteSigner.generate(name: "hria.example/log")
        #expect(privateKey.hasPrefix("PRIVATE+KEY+hria.example/log+"))
        #expect(verifierKey == signer.verifierKey)
        let reread = try NoteSigner(privateKey: privateKey)
        #expect(reread.verifierKey == verifierKey && reread.keyHash == signer.keyHash)
        let verifier = try NoteVerifier(verifierKey: verifierKey)
        #expect(verifier.keyHash == signer.keyHash && verifier.name == "hria.example/log")
        #expect(verifierKey.hasPrefix("hria.example/log+\(String(format: "%08x", signer.keyHash))+"))

        var message = Self.bytes("hi")
        var signature = try reread.sign(message)
        #expect(signature.count == 64)
        #expect(verifier.verify(message, signature: signature))
        signature[0] &+= 1
        #expect(!verifier.verify(message, signature: signature))
        signature[0] &-= 1
        message[0] &+= 1
        #expect(!verifier.verify(message, signature: signature))
        #expect(!verifier.verify(Self.bytes("hi"), signature: Array(signature.dropLast())))
    }

    @Test("many generated keys, whose base64 often holds '+' and '/', all round-trip")
    func plusAndSlashInKeys() throws {
        var sawPlus = false, sawSlash = false
        for index in 0..<64 {
            let (signer, privateKey, verifierKey) = try NoteSigner.generate(name: "k\(index)")
            let data = String(verifierKey.split(separator: "+", maxSplits: 2)[2]) + String(privateKey.split(separator: "+", maxSplits: 4)[4])
            sawPlus = sawPlus || data.contains("+")
            sawSlash = sawSlash || data.contains("/")
            let note = try Note.sign(text: "entry \(index)\n", signers: [try NoteSigner(privateKey: privateKey)])
            let opened = try Note.open(note, verifiers: [try NoteVerifier(verifierKey: verifierKey)])
            #expect(opened.signatures.first?.keyHash == signer.keyHash)
        }
        #expect(sawPlus && sawSlash, "64 random keys should include '+' and '/' in their base64")
    }

    // MARK: Signing

    @Test("signing refuses texts that open would refuse, and writes one line per signer")
    func signing() throws {
        let peter = try NoteSigner(privateKey: Self.peterPrivateKey)
        #expect(throws: NoteError.malformed("the text must end with a newline")) { try Note.sign(text: "abc", signers: [peter]) }
        #expect(throws: NoteError.malformed("the text must end with a newline")) { try Note.sign(text: "", signers: [peter]) }
        #expect(throws: NoteError.malformed("the text contains a control character other than newline")) {
            try Note.sign(text: "a\rb\n", signers: [peter])
        }
        #expect(throws: NoteError.malformed("a note needs at least one signature")) { try Note.sign(text: "a\n", signers: []) }

        let (other, _, _) = try NoteSigner.generate(name: "witness.example/w1")
        let message = try Note.sign(text: Self.text, signers: [peter, other])
        let lines = String(decoding: message, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6)
        #if os(Linux)
        #expect(lines[3] + "\n" == Self.peterSig)
        #endif
        #expect(lines[4].hasPrefix("— witness.example/w1 "))
        let note = try Note.open(message, verifiers: [try Self.peter, other.verifier])
        #expect(note.signatures.map(\.verified) == [true, true])
        #expect(note.text == Self.text)
    }

    @Test("Go-compatible base64: padding required, newlines ignored, canonical form only when strict")
    func base64() {
        #expect(NoteBase64.encode([]) == "")
        #expect(NoteBase64.encode([0xFB]) == "+w==")
        #expect(NoteBase64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(NoteBase64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(NoteBase64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(NoteBase64.decode("") == [])
        #expect(NoteBase64.decode("+w") == nil)
        #expect(NoteBase64.decode("+w=") == nil)
        #expect(NoteBase64.decode("+w==+w==") == nil)
        #expect(NoteBase64.decode("=AAA") == nil)
        #expect(NoteBase64.decode("A===") == nil)
        #expect(NoteBase64.decode("AA=A") == nil)
        #expect(NoteBase64.decode("-_-_") == nil)
        #expect(NoteBase64.decode("+/\n+/") == [0xFB, 0xFF, 0xBF])
        #expect(NoteBase64.decode("+/\n+/", strict: true) == nil)
        // Non-zero trailing bits: Go's StdEncoding accepts them; strict (checkpoint roots) does not.
        #expect(NoteBase64.decode("+x==") == [0xFB])
        #expect(NoteBase64.decode("+x==", strict: true) == nil)
        #expect(NoteBase64.decode("+/9=") == [0xFB, 0xFF])
        #expect(NoteBase64.decode("+/9=", strict: true) == nil)
        var generator = SplitMix64(seed: 7)
        for length in 0..<70 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(NoteBase64.encode(data) == Data(data).base64EncodedString())
            #expect(NoteBase64.decode(NoteBase64.encode(data), strict: true) == data)
        }
    }
}
