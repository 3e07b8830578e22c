import Foundation

// The roster's events: who may act in the workspace's assessments, under which roles and with which keys
// (docs/IDENTITY.md, docs/AUDIT-LOG.md "The roster"). Each is made by a person holding the workspace role `admin`
// and signed by them; `data.roles` holds the roles they acted under, as in every event.

/// `person.added`: someone joins the roster. Their name and title are in the clear only when they may be published;
/// otherwise they are confidential values whose digests are in the event's `_sd` (and `confidential` names them).
public struct PersonAdded: Sendable, Hashable {
    public var person: String
    /// The name, when it may be published.
    public var name: String?
    public var title: String?
    /// The fields held as disclosures (`name`, `title`), sorted.
    public var confidential: [String]
    /// The roles the person holds from this event on.
    public var grants: [String]
    /// Their public key (`ssh-ed25519 AAAA…`, or a signed-note verifier key imported from an older workspace).
    public var key: String?
    public var roles: [String]
    /// On the roster's first event only: where the people of a workspace that already had assessments were imported
    /// from (`hria.yaml`). Its acts from before the roster name no roster state and are accepted as they were
    /// written; a roster started with its workspace (`hria init`) accepts no such act.
    public var importedFrom: String?

    public init(person: String, name: String?, title: String?, confidential: [String], grants: [String], key: String?, roles: [String],
                importedFrom: String? = nil) {
        self.person = person
        self.name = name
        self.title = title
        self.confidential = confidential
        self.grants = grants
        self.key = key
        self.roles = roles
        self.importedFrom = importedFrom
    }

    /// Whether the roster lets reports and bundles show the person's name.
    public var publishName: Bool { !confidential.contains("name") }
}

/// `role.granted` and `role.revoked`: one role given to or taken from a person, with the reason.
public struct RoleChange: Sendable, Hashable {
    public var person: String
    public var role: String
    public var reason: String
    public var roles: [String]

    public init(person: String, role: String, reason: String, roles: [String]) {
        self.person = person
        self.role = role
        self.reason = reason
        self.roles = roles
    }
}

/// `key.rotated`: a person's key replaced; the old one stays valid for events before this one.
public struct KeyRotated: Sendable, Hashable {
    public var person: String
    public var key: String
    public var reason: String?
    public var roles: [String]

    public init(person: String, key: String, reason: String?, roles: [String]) {
        self.person = person
        self.key = key
        self.reason = reason
        self.roles = roles
    }
}

/// `person.removed`: someone leaves the roster; their earlier acts stay valid, and they cannot act again.
public struct PersonRemoved: Sendable, Hashable {
    public var person: String
    public var reason: String
    public var roles: [String]

    public init(person: String, reason: String, roles: [String]) {
        self.person = person
        self.reason = reason
        self.roles = roles
    }
}

/// `policy.set`: whether every act must be signed, switched only by a recorded, signed event.
public struct PolicySet: Sendable, Hashable {
    public var requireSignatures: Bool
    public var reason: String
    public var roles: [String]

    public init(requireSignatures: Bool, reason: String, roles: [String]) {
        self.requireSignatures = requireSignatures
        self.reason = reason
        self.roles = roles
    }
}

extension EventPayload {
    /// The canonical `data` of a roster change; nil for any other event.
    func rosterJSON() -> JSONValue? {
        switch self {
        case .personAdded(let p):
            var data: [String: JSONValue] = ["person": .string(p.person), "grants": Self.list(p.grants), "roles": Self.list(p.roles)]
            if let name = p.name { data["name"] = .string(name) }
            if let title = p.title { data["title"] = .string(title) }
            if !p.confidential.isEmpty { data["confidential"] = Self.list(p.confidential) }
            if let key = p.key { data["key"] = .string(key) }
            if let importedFrom = p.importedFrom { data["imported_from"] = .string(importedFrom) }
            return .object(data)
        case .roleGranted(let p), .roleRevoked(let p):
            return .object(["person": .string(p.person), "role": .string(p.role), "reason": .string(p.reason), "roles": Self.list(p.roles)])
        case .keyRotated(let p):
            var data: [String: JSONValue] = ["person": .string(p.person), "key": .string(p.key), "roles": Self.list(p.roles)]
            if let reason = p.reason { data["reason"] = .string(reason) }
            return .object(data)
        case .personRemoved(let p):
            return .object(["person": .string(p.person), "reason": .string(p.reason), "roles": Self.list(p.roles)])
        case .policySet(let p):
            return .object(["require_signatures": .bool(p.requireSignatures), "reason": .string(p.reason), "roles": Self.list(p.roles)])
        default:
            return nil
        }
    }

    /// Reads the `data` of a roster change, exactly its members (the reader is past the opening brace).
    static func decodeRosterChange(_ type: EventType, _ r: inout JSONReader, first: inout Bool) throws(JSONParseError) -> EventPayload {
        let d = DataReader(type: type)
        switch type {
        case .personAdded:
            var person: String?, name: String?, title: String?, confidential: [String]?, grants: [String]?, key: String?, roles: [String]?,
                importedFrom: String?
            while let k = try r.nextKey(&first) {
                if k == "person" { try d.once(person == nil, k, r); person = try r.string() }
                else if k == "name" { try d.once(name == nil, k, r); name = try r.string() }
                else if k == "title" { try d.once(title == nil, k, r); title = try r.string() }
                else if k == "confidential" { try d.once(confidential == nil, k, r); confidential = try r.strings() }
                else if k == "grants" { try d.once(grants == nil, k, r); grants = try r.strings() }
                else if k == "key" { try d.once(key == nil, k, r); key = try r.string() }
                else if k == "roles" { try d.once(roles == nil, k, r); roles = try r.strings() }
                else if k == "imported_from" { try d.once(importedFrom == nil, k, r); importedFrom = try r.string() }
                else { throw d.unknown(k, r) }
            }
            if let confidential {
                guard !confidential.isEmpty, confidential.allSatisfy({ $0 == "name" || $0 == "title" }),
                      zip(confidential, confidential.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw r.error("the confidential names of person.added are not a sorted list of name and title")
                }
            }
            return .personAdded(PersonAdded(person: try d.need(person, "person", r), name: name, title: title, confidential: confidential ?? [],
                                            grants: try d.need(grants, "grants", r), key: key, roles: try d.need(roles, "roles", r),
                                            importedFrom: importedFrom))
        case .roleGranted, .roleRevoked:
            var person: String?, role: String?, reason: String?, roles: [String]?
            while let k = try r.nextKey(&first) {
                if k == "person" { try d.once(person == nil, k, r); person = try r.string() }
                else if k == "role" { try d.once(role == nil, k, r); role = try r.string() }
                else if k == "reason" { try d.once(reason == nil, k, r); reason = try r.string() }
                else if k == "roles" { try d.once(roles == nil, k, r); roles = try r.strings() }
                else { throw d.unknown(k, r) }
            }
            let change = RoleChange(person: try d.need(person, "person", r), role: try d.need(role, "role", r),
                                    reason: try d.need(reason, "reason", r), roles: try d.need(roles, "roles", r))
            return type == .roleGranted ? .roleGranted(change) : .roleRevoked(change)
        case .keyRotated:
            var person: String?, key: String?, reason: String?, roles: [String]?
            while let k = try r.nextKey(&first) {
                if k == "person" { try d.once(person == nil, k, r); person = try r.string() }
                else if k == "key" { try d.once(key == nil, k, r); key = try r.string() }
                else if k == "reason" { try d.once(reason == nil, k, r); reason = try r.string() }
                else if k == "roles" { try d.once(roles == nil, k, r); roles = try r.strings() }
                else { throw d.unknown(k, r) }
            }
            return .keyRotated(KeyRotated(person: try d.need(person, "person", r), key: try d.need(key, "key", r), reason: reason,
                                          roles: try d.need(roles, "roles", r)))
        case .personRemoved:
            var person: String?, reason: String?, roles: [String]?
            while let k = try r.nextKey(&first) {
                if k == "person" { try d.once(person == nil, k, r); person = try r.string() }
                else if k == "reason" { try d.once(reason == nil, k, r); reason = try r.string() }
                else if k == "roles" { try d.once(roles == nil, k, r); roles = try r.strings() }
                else { throw d.unknown(k, r) }
            }
            return .personRemoved(PersonRemoved(person: try d.need(person, "person", r), reason: try d.need(reason, "reason", r),
                                                roles: try d.need(roles, "roles", r)))
        case .policySet:
            var require: Bool?, reason: String?, roles: [String]?
            while let k = try r.nextKey(&first) {
                if k == "require_signatures" {
                    try d.once(require == nil, k, r)
                    require = try r.bool()
                }
                else if k == "reason" { try d.once(reason == nil, k, r); reason = try r.string() }
                else if k == "roles" { try d.once(roles == nil, k, r); roles = try r.strings() }
                else { throw d.unknown(k, r) }
            }
            return .policySet(PolicySet(requireSignatures: try d.need(require, "require_signatures", r), reason: try d.need(reason, "reason", r),
                                        roles: try d.need(roles, "roles", r)))
        default:
            throw r.error("\(type.rawValue) is not a roster change")
        }
    }
}
