import Crypto
import Foundation
import RawStructuredFieldValues

/// HTTP Message Signatures (RFC 9421) as hria's client and server use them: every request to `hria serve` is
/// signed by the person making it with their own Ed25519 key (the one the roster lists for them), over
///
///     "@method" "@path" "@query" "content-digest"
///
/// with the parameters `created` (seconds since 1970), `nonce`, `keyid` (the person's id) and `alg="ed25519"`,
/// under the label `hria`. `content-digest` is RFC 9530's `sha-256=:…:` of the body (of the empty body too), so
/// the body cannot be swapped either. `@path` and `@query` rather than `@target-uri`: a reverse proxy in front may
/// change the scheme and the host, never the path.
///
/// The signature is Ed25519 over the signature base itself (RFC 9421 section 3.3.6). The base always starts with
/// `"@method"`, so it can never be taken for what the same key signs elsewhere: an event's SSHSIG signed data starts
/// with `SSHSIG`, an SSH login's with a length.
///
/// Pure: the time and the nonce come from the caller; the replay window is the server's.
public enum RequestSignature {
    /// The label of hria's signature in Signature-Input and Signature.
    public static let label = "hria"
    /// What every request's signature must cover, in this order.
    public static let coveredComponents = ["@method", "@path", "@query", "content-digest"]
    public static let algorithm = "ed25519"

    /// What a request is, as far as its signature is concerned.
    public struct Message: Sendable {
        public var method: String
        /// The path as sent, percent-encoding and all (`/api/v1/assessments/acme`).
        public var path: String
        /// The query as sent without its `?` (empty when there is none).
        public var query: String
        /// The header fields by lower-cased name.
        public var headers: [String: String]

        public init(method: String, path: String, query: String, headers: [String: String]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        }

        /// A covered component's value (RFC 9421 section 2.2 for the derived ones); nil when the message has none.
        func value(of component: String) -> String? {
            switch component {
            case "@method": method
            case "@path": path.isEmpty ? "/" : path
            case "@query": "?" + query
            case "@authority": headers["host"]?.lowercased()
            default: component.hasPrefix("@") ? nil
                // Several lines of one field are joined with ", " and trimmed (section 2.1).
                : headers[component]?.trimmingCharacters(in: .whitespaces)
            }
        }
    }

    /// Why a request's signature is refused. Each says what a client would need to change.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missing
        case malformed(String)
        case notCovered(String)
        case expired(created: Int, now: Int)
        case fromTheFuture(created: Int, now: Int)
        case digestMismatch
        case unknownSigner(String)
        case badSignature

        public var description: String {
            switch self {
            case .missing: "the request is not signed: it has no Signature-Input and Signature for \(RequestSignature.label)"
            case .malformed(let why): "the request's signature is malformed: \(why)"
            case .notCovered(let component): "the request's signature does not cover \(component)"
            case .expired(let created, let now): "the request was signed \(now - created) seconds ago, longer than a signature is accepted"
            case .fromTheFuture(let created, let now): "the request is signed \(created - now) seconds in the future: check the clock"
            case .digestMismatch: "the body is not the one the request's Content-Digest names"
            case .unknownSigner(let keyid): "\(keyid) has no key on the roster to check the request's signature with"
            case .badSignature: "the request's signature does not verify with the key the roster lists for its signer"
            }
        }
    }

    /// RFC 9530's Content-Digest of a body: `sha-256=:BASE64:`.
    public static func contentDigest(_ body: some DataProtocol) -> String {
        "sha-256=:" + Data(SHA256.hash(data: body)).base64EncodedString() + ":"
    }

    /// The signature parameters' serialisation, as `@signature-params` and Signature-Input carry it.
    public static func parameters(components: [String], created: Int?, nonce: String?, keyid: String?, algorithm: String?) -> String {
        var items = BareInnerList()
        for component in components { items.append(Item(bareItem: RFC9651BareItem.string(component), parameters: OrderedMap<String, RFC9651BareItem>())) }
        var parameters = OrderedMap<String, RFC9651BareItem>()
        if let created { parameters["created"] = .integer(Int64(created)) }
        if let nonce { parameters["nonce"] = .string(nonce) }
        if let keyid { parameters["keyid"] = .string(keyid) }
        if let algorithm { parameters["alg"] = .string(algorithm) }
        return serialise(InnerList(bareInnerList: items, parameters: parameters)) ?? ""
    }

    /// The signature base (RFC 9421 section 2.5) of `message` for the components and parameters given.
    public static func base(_ message: Message, components: [String], parameters: String) throws(Failure) -> [UInt8] {
        var lines: [String] = []
        for component in components {
            guard let value = message.value(of: component) else { throw .malformed("the request has no \(component)") }
            guard !value.contains(where: { $0 == "\n" || $0 == "\r" }) else { throw .malformed("\(component) holds a line break") }
            lines.append("\"\(component)\": \(value)")
        }
        lines.append("\"@signature-params\": \(parameters)")
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// The headers that sign a request: Content-Digest, Signature-Input and Signature. `sign` makes the Ed25519
    /// signature of the base (with the person's key, from their key folder or their ssh-agent).
    public static func sign(method: String, path: String, query: String, body: some DataProtocol, keyid: String, created: Int,
                            nonce: String, sign: ([UInt8]) throws -> [UInt8]) throws -> [(name: String, value: String)] {
        let digest = contentDigest(body)
        let parameters = parameters(components: coveredComponents, created: created, nonce: nonce, keyid: keyid, algorithm: algorithm)
        let message = Message(method: method, path: path, query: query, headers: ["content-digest": digest])
        let signature = try sign(try base(message, components: coveredComponents, parameters: parameters))
        return [("Content-Digest", digest), ("Signature-Input", "\(label)=\(parameters)"),
                ("Signature", "\(label)=:\(Data(signature).base64EncodedString()):")]
    }

    /// What a valid signature established.
    public struct Signer: Sendable, Equatable {
        public var keyid: String
        public var created: Int
        public var nonce: String
    }

    /// Checks a request's `hria` signature: it covers what hria requires, its body matches its Content-Digest, it
    /// was made within `window` seconds of `now`, and it verifies with the key `key(keyid)` gives. The nonce is
    /// returned for the caller's replay check.
    public static func verify(_ message: Message, body: some DataProtocol, now: Int, window: Int,
                              key: (String) -> Curve25519.Signing.PublicKey?) throws(Failure) -> Signer {
        try check(message, digest: contentDigest(body), now: now, window: window, checkingKey: true, key: key)
    }

    /// For a body too large to hold before acting (an evidence upload): everything `verify` checks but the body,
    /// so that an unsigned or wrongly signed upload is refused before any of it is read. The caller hashes the body
    /// as it arrives and acts on it only when `contentDigest(sha256:)` of it is the Content-Digest the signature covers.
    public static func verifyBeforeBody(_ message: Message, now: Int, window: Int,
                                        key: (String) -> Curve25519.Signing.PublicKey?) throws(Failure) -> Signer {
        guard message.headers["content-digest"] != nil else { throw .notCovered("content-digest") }
        return try check(message, digest: nil, now: now, window: window, checkingKey: true, key: key)
    }

    /// `precheck` for a body not yet read (see `verifyBeforeBody`).
    public static func precheckBeforeBody(_ message: Message, now: Int, window: Int) throws(Failure) -> String {
        try check(message, digest: nil, now: now, window: window, checkingKey: false) { _ in nil }.keyid
    }

    /// RFC 9530's Content-Digest of a body from its SHA-256, hashed as it streamed in.
    public static func contentDigest(sha256 digest: some Sequence<UInt8>) -> String {
        "sha-256=:" + Data(digest).base64EncodedString() + ":"
    }

    /// Everything `verify` checks that needs no key (the signature is present, covers what hria requires, is fresh,
    /// and the body matches its digest); the keyid to look up.
    public static func precheck(_ message: Message, body: some DataProtocol, now: Int, window: Int) throws(Failure) -> String {
        try check(message, digest: contentDigest(body), now: now, window: window, checkingKey: false) { _ in nil }.keyid
    }

    /// `digest`: the Content-Digest of the body received, or nil when the caller checks it once the body is in.
    private static func check(_ message: Message, digest: String?, now: Int, window: Int, checkingKey: Bool,
                              key: (String) -> Curve25519.Signing.PublicKey?) throws(Failure) -> Signer {
        guard let inputField = message.headers["signature-input"], let signatureField = message.headers["signature"] else { throw .missing }
        guard let inputs = dictionary(inputField), let signatures = dictionary(signatureField) else {
            throw .malformed("Signature-Input and Signature must be structured-field dictionaries (RFC 9421 section 4)")
        }
        guard let input = inputs[label], let signature = signatures[label] else { throw .missing }
        guard case .innerList(let list) = input else { throw .malformed("Signature-Input's \(label) is not a list of components") }
        guard case .item(let item) = signature, case .undecodedByteSequence(let encoded) = item.rfc9651BareItem,
              let signatureBytes = Data(base64Encoded: encoded), signatureBytes.count == 64 else {
            throw .malformed("Signature's \(label) is not a 64-byte Ed25519 signature")
        }
        var components: [String] = []
        for item in list.bareInnerList {
            guard case .string(let name) = item.rfc9651BareItem, item.rfc9651Parameters.isEmpty else {
                throw .malformed("each covered component is a plain quoted name")
            }
            guard !components.contains(name) else { throw .malformed("\(name) is covered twice") }
            components.append(name)
        }
        for required in coveredComponents where !components.contains(required) { throw .notCovered(required) }
        let parameters = list.rfc9651Parameters
        guard case .integer(let createdValue)? = parameters["created"], let created = Int(exactly: createdValue) else {
            throw .malformed("the signature has no created time")
        }
        guard case .string(let nonce)? = parameters["nonce"], !nonce.isEmpty, nonce.count <= 128 else {
            throw .malformed("the signature has no nonce")
        }
        guard case .string(let keyid)? = parameters["keyid"] else { throw .malformed("the signature has no keyid") }
        if let alg = parameters["alg"] {
            guard case .string(let name) = alg, name == algorithm else { throw .malformed("the algorithm must be \(algorithm)") }
        }
        if case .integer(let expires)? = parameters["expires"], expires < Int64(now) { throw .expired(created: created, now: now) }
        guard created >= now - window else { throw .expired(created: created, now: now) }
        guard created <= now + 60 else { throw .fromTheFuture(created: created, now: now) }
        if let digest, message.headers["content-digest"] != digest { throw .digestMismatch }
        guard checkingKey else { return Signer(keyid: keyid, created: created, nonce: nonce) }
        guard let publicKey = key(keyid) else { throw .unknownSigner(keyid) }
        guard let serialised = serialise(list) else { throw .malformed("the signature's parameters cannot be serialised") }
        let base = try base(message, components: components, parameters: serialised)
        guard publicKey.isValidSignature(signatureBytes, for: base) else { throw .badSignature }
        return Signer(keyid: keyid, created: created, nonce: nonce)
    }

    /// The keyid a request's `hria` signature names, before anything is checked: whose key to look up.
    public static func keyid(_ message: Message) -> String? {
        guard let field = message.headers["signature-input"], let inputs = dictionary(field), case .innerList(let list)? = inputs[label],
              case .string(let keyid)? = list.rfc9651Parameters["keyid"] else { return nil }
        return keyid
    }

    private static func dictionary(_ field: String) -> OrderedMap<String, ItemOrInnerList>? {
        var parser = StructuredFieldValueParser(Array(field.utf8))
        return try? parser.parseDictionaryFieldValue()
    }

    /// An inner list with its parameters as RFC 8941 serialises it: the dictionary member's value, without `label=`.
    private static func serialise(_ list: InnerList) -> String? {
        var serializer = StructuredFieldValueSerializer()
        var member = OrderedMap<String, ItemOrInnerList>()
        member[label] = .innerList(list)
        guard let bytes = try? serializer.writeDictionaryFieldValue(member) else { return nil }
        return String(decoding: bytes.dropFirst(label.utf8.count + 1), as: UTF8.self)
    }
}
