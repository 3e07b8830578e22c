/// A person who may act, and the roles they hold: who the engine judges an act by.
public struct Person: Sendable, Hashable {
    public var id: String
    public var name: String
    public var roles: [String]
    /// The verifier key string of the person's Ed25519 key, for signed events.
    public var key: String?

    public init(id: String, name: String, roles: [String], key: String? = nil) {
        self.id = id
        self.name = name
        self.roles = roles
        self.key = key
    }

    /// The id hria's own events are recorded under (a repair after an interrupted write); no person may take it.
    public static let systemID = "hria"

    /// Person ids: a lower-case letter, then lower-case letters, digits, `.`, `_` and `-`, at most 64 in all.
    public static func isValidID(_ s: String) -> Bool {
        let utf8 = s.utf8
        guard let first = utf8.first, utf8.count <= 64, first >= 0x61, first <= 0x7A else { return false }
        return utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }
}
