import Crypto
import Foundation
import Testing
@testable import HRIAKit

/// HTTP Message Signatures as hria uses them: RFC 9421's own Ed25519 example (Appendix B.2.6, key B.1.4) and
/// RFC 9530's Content-Digest example, then hria's policy: what a signature must cover, its window, and every way a
/// request can be changed after it was signed.
@Suite("RequestSignature")
struct RequestSignatureTests {
    /// RFC 9421 Appendix B.1.4, test-key-ed25519 (the JWK's d and x).
    static let testKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Base64URL.decode("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU")!)

    @Test("RFC 9421 B.2.6: the signature base and the Ed25519 signature of the RFC's example request")
    func rfcVector() throws {
        #expect(Array(Self.testKey.publicKey.rawRepresentation) == Base64URL.decode("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"))
        let components = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
        let parameters = RequestSignature.parameters(components: components, created: 1_618_884_473, nonce: nil, keyid: "test-key-ed25519",
                                                     algorithm: nil)
        #expect(parameters == #"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#)
        let message = RequestSignature.Message(method: "POST", path: "/foo", query: "param=Value&Pet=dog", headers: [
            "Host": "example.com", "Date": "Tue, 20 Apr 2021 02:07:55 GMT", "Content-Type": "application/json", "Content-Length": "18",
        ])
        let base = try RequestSignature.base(message, components: components, parameters: parameters)
        #expect(String(decoding: base, as: UTF8.self) == """
        "date": Tue, 20 Apr 2021 02:07:55 GMT
        "@method": POST
        "@path": /foo
        "@authority": example.com
        "content-type": application/json
        "content-length": 18
        "@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"
        """)
        // Ed25519 is deterministic: the RFC's signature, byte for byte.
        let signature = try Self.testKey.signature(for: base)
        #expect(Data(signature).base64EncodedString()
            == "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==")
        // hria's policy refuses it all the same: it covers neither the query nor the body, and has no nonce.
        var signed = message
        signed.headers["signature-input"] = "sig-b26=" + parameters
        signed.headers["signature"] = "sig-b26=:\(Data(signature).base64EncodedString()):"
        #expect(throws: RequestSignature.Failure.missing) {
            try RequestSignature.verify(signed, body: Array(#"{"hello": "world"}"#.utf8), now: 1_618_884_473, window: 300) { _ in Self.testKey.publicKey }
        }
        signed.headers["signature-input"] = "hria=" + parameters
        signed.headers["signature"] = "hria=:\(Data(signature).base64EncodedString()):"
        #expect(throws: RequestSignature.Failure.notCovered("@query")) {
            try RequestSignature.verify(signed, body: Array(#"{"hello": "world"}"#.utf8), now: 1_618_884_473, window: 300) { _ in Self.testKey.publicKey }
        }
    }

    @Test("RFC 9530: the Content-Digest of the RFC's example body")
    func contentDigest() {
        #expect(RequestSignature.contentDigest(Array(#"{"hello": "world"}"#.utf8)) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
        #expect(RequestSignature.contentDigest([UInt8]()) == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
    }

    static let ana = Curve25519.Signing.PrivateKey()
    static let now = 1_800_000_000

    /// A request signed by ana as the client signs it, with the headers as a server receives them.
    static func signed(method: String = "POST", path: String = "/api/v1/assessments/acme/prepare", query: String = "", body: String = "{}",
                       created: Int = now, nonce: String = "n1", keyid: String = "ana") throws -> RequestSignature.Message {
        let headers = try RequestSignature.sign(method: method, path: path, query: query, body: Array(body.utf8), keyid: keyid, created: created,
                                                nonce: nonce) { Array(try ana.signature(for: $0)) }
        return RequestSignature.Message(method: method, path: path, query: query,
                                        headers: Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) }))
    }

    static func verify(_ message: RequestSignature.Message, body: String = "{}", now: Int = now,
                       key: Curve25519.Signing.PublicKey? = ana.publicKey) throws(RequestSignature.Failure) -> RequestSignature.Signer {
        try RequestSignature.verify(message, body: Array(body.utf8), now: now, window: 300) { $0 == "ana" ? key : nil }
    }

    @Test("a request signed as the client signs it verifies, and names its signer and nonce")
    func roundTrip() throws {
        let message = try Self.signed(query: "format=text")
        #expect(message.headers["signature-input"]
            == #"hria=("@method" "@path" "@query" "content-digest");created=1800000000;nonce="n1";keyid="ana";alg="ed25519""#)
        #expect(try Self.verify(message) == RequestSignature.Signer(keyid: "ana", created: Self.now, nonce: "n1"))
        #expect(RequestSignature.keyid(message) == "ana")
    }

    @Test("every change after signing is refused: method, path, query, body, digest, time, signer, key")
    func tampering() throws {
        let message = try Self.signed(query: "a=1")
        var changed = message
        changed.method = "PUT"
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(changed) }
        changed = message
        changed.path = "/api/v1/assessments/other/prepare"
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(changed) }
        changed = message
        changed.query = "a=2"
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(changed) }
        #expect(throws: RequestSignature.Failure.digestMismatch) { try Self.verify(message, body: "{\"x\":1}") }
        changed = message
        changed.headers["content-digest"] = RequestSignature.contentDigest(Array("{\"x\":1}".utf8))
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(changed, body: "{\"x\":1}") }
        changed = message
        changed.headers["signature-input"] = message.headers["signature-input"]?.replacingOccurrences(of: "created=1800000000", with: "created=1800000001")
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(changed) }
        changed = message
        changed.headers["signature-input"] = message.headers["signature-input"]?.replacingOccurrences(of: "keyid=\"ana\"", with: "keyid=\"bo\"")
        #expect(throws: RequestSignature.Failure.unknownSigner("bo")) { try Self.verify(changed) }
        #expect(throws: RequestSignature.Failure.badSignature) { try Self.verify(message, key: Curve25519.Signing.PrivateKey().publicKey) }
    }

    @Test("old and future signatures are refused; so are unsigned, malformed and under-covering ones")
    func policy() throws {
        #expect(throws: RequestSignature.Failure.expired(created: Self.now - 301, now: Self.now)) {
            try Self.verify(try Self.signed(created: Self.now - 301))
        }
        #expect(try Self.verify(try Self.signed(created: Self.now - 299)).created == Self.now - 299)
        #expect(throws: RequestSignature.Failure.fromTheFuture(created: Self.now + 61, now: Self.now)) {
            try Self.verify(try Self.signed(created: Self.now + 61))
        }
        var message = try Self.signed()
        message.headers["signature"] = nil
        #expect(throws: RequestSignature.Failure.missing) { try Self.verify(message) }
        message = try Self.signed()
        message.headers["signature"] = "hria=:AAAA:"
        #expect(throws: RequestSignature.Failure.malformed("Signature's hria is not a 64-byte Ed25519 signature")) { try Self.verify(message) }
        message.headers["signature-input"] = "hria=(\"@method\""
        #expect(throws: RequestSignature.Failure.self) { try Self.verify(message) }
        let partial = try RequestSignature.base(RequestSignature.Message(method: "GET", path: "/", query: "", headers: [:]),
                                                components: ["@method"], parameters: "x")
        #expect(String(decoding: partial, as: UTF8.self) == "\"@method\": GET\n\"@signature-params\": x")
        // Covering less than hria requires, even when correctly signed.
        let parameters = RequestSignature.parameters(components: ["@method", "@path", "content-digest"], created: Self.now, nonce: "n",
                                                     keyid: "ana", algorithm: "ed25519")
        var short = RequestSignature.Message(method: "GET", path: "/x", query: "", headers: ["content-digest": RequestSignature.contentDigest([UInt8]())])
        let base = try RequestSignature.base(short, components: ["@method", "@path", "content-digest"], parameters: parameters)
        short.headers["signature-input"] = "hria=" + parameters
        short.headers["signature"] = "hria=:\(Data(try Self.ana.signature(for: base)).base64EncodedString()):"
        #expect(throws: RequestSignature.Failure.notCovered("@query")) { try Self.verify(short, body: "") }
        // A header value with a line break cannot smuggle a line into the base.
        #expect(throws: RequestSignature.Failure.self) {
            try RequestSignature.base(RequestSignature.Message(method: "GET", path: "/", query: "", headers: ["x": "a\n\"@method\": PUT"]),
                                      components: ["x"], parameters: "p")
        }
    }
}
