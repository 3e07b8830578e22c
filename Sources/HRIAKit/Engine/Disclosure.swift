import Crypto

/// An SD-JWT style disclosure (RFC 9901 §4.2): the salted plaintext of one confidential value. Only its
/// digest enters the log; the disclosure itself stays in the assessment's private/ folder.
public struct Disclosure: Sendable, Hashable {
    /// base64url of the UTF-8 JSON array `[salt, name, value]`.
    public let encoded: String
    public let salt: String
    public let name: String
    public let value: String

    /// Builds a disclosure from 16 random salt bytes.
    public init(saltBytes: [UInt8], name: String, value: String) {
        salt = Base64URL.encode(saltBytes)
        self.name = name
        self.value = value
        let json = JSONValue.array([.string(salt), .string(name), .string(value)]).rendered()
        encoded = Base64URL.encode(Array(json.utf8))
    }

    /// Reads a disclosure string back; nil unless it is base64url of a JSON array of three strings.
    public init?(encoded: String) {
        guard let bytes = Base64URL.decode(encoded), let value = try? JSONParser.parse(bytes),
              let items = value.arrayValue, items.count == 3,
              let salt = items[0].stringValue, let name = items[1].stringValue, let text = items[2].stringValue else { return nil }
        self.encoded = encoded
        self.salt = salt
        self.name = name
        self.value = text
    }

    /// base64url(SHA-256(ASCII bytes of the disclosure)), the value listed in an event's `_sd`.
    public var digest: String { Disclosure.digest(of: encoded) }

    public static func digest(of encoded: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(encoded.utf8)))
    }

    /// A digest that discloses nothing: it pads `_sd` so the number of confidential values cannot be counted.
    public static func decoy(randomBytes: [UInt8]) -> String {
        Base64URL.encode(SHA256.hash(data: randomBytes))
    }
}

/// Where random bytes come from: the system's secure generator in use, a seeded one in tests.
public protocol RandomSource {
    mutating func bytes(_ count: Int) -> [UInt8]
}

/// Random bytes from swift-crypto's secure generator (a fresh symmetric key is drawn from it).
public struct SecureRandom: RandomSource {
    public init() {}
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            SymmetricKey(size: .bits256).withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(count))
    }
}
