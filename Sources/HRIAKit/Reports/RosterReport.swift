import Foundation

/// The roster in words: `hria people list` and `show`, and each roster event as a sentence.
public enum RosterReport {
    /// The error for a person `hria people show` does not find on the roster; a server answers it so too.
    public static func unknownPerson(_ id: String) -> HRIAError {
        .badInput("unknown person \"\(DisplayText.escape(id))\": not on the roster", help: "see hria people list")
    }

    /// One roster event as a sentence, after its actor's id.
    public static func sentence(_ payload: EventPayload) -> String {
        switch payload {
        case .personAdded(let p):
            var s = "added \(p.person)"
            if let name = p.name { s += " (\(name)\(p.title.map { ", \($0)" } ?? ""))" } else { s += " (name kept confidential)" }
            s += p.grants.isEmpty ? " with no role" : " as " + p.grants.joined(separator: ", ")
            if let key = p.key { s += "; key \(fingerprint(key))" } else { s += "; no key yet" }
            return s
        case .roleGranted(let p):
            return "granted \(p.role) to \(p.person) — \(p.reason)"
        case .roleRevoked(let p):
            return "revoked \(p.role) from \(p.person) — \(p.reason)"
        case .keyRotated(let p):
            return "set the key of \(p.person) to \(fingerprint(p.key))" + (p.reason.map { " — \($0)" } ?? "")
        case .personRemoved(let p):
            return "removed \(p.person) — \(p.reason)"
        case .policySet(let p):
            return (p.requireSignatures ? "required every act to be signed" : "stopped requiring signatures") + " — \(p.reason)"
        case .recoveryTruncated(let p):
            return "repaired the roster's log after an interrupted write: removed \(p.bytes) incomplete bytes"
        default:
            return payload.type.rawValue
        }
    }

    /// A key as people compare them: an SSH key by its SHA256 fingerprint, a verifier key by its name and hash.
    public static func fingerprint(_ key: String) -> String {
        if let ssh = try? SSHPublicKey(authorizedKey: key) { return ssh.fingerprint }
        return String(key.prefix(40)) + (key.count > 40 ? "…" : "")
    }

    /// `hria people list`: one line per person on the roster.
    public static func list(_ roster: Roster, names: [String: String] = [:]) -> String {
        var out = "roster: \(roster.current.count) \(roster.current.count == 1 ? "person" : "people"), \(roster.size) events; signatures "
            + (roster.requireSignatures ? "required" : "NOT required: an unsigned act names who the writer recorded, not who proved it") + "\n"
        let rows = roster.current.map { m in
            [m.id, names[m.id] ?? m.name ?? "(confidential)", m.roles.isEmpty ? "-" : m.roles.joined(separator: ","),
             m.key.map(fingerprint) ?? "no key"]
        }
        let widths = (0..<3).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            out += "  " + (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + row[3] + "\n"
        }
        return out
    }

    public static func json(_ roster: Roster, names: [String: String] = [:]) -> JSONValue {
        .object([
            "size": .int(roster.size),
            "signatures_required": .bool(roster.requireSignatures),
            "people": .array(roster.current.map { m in
                var o: [String: JSONValue] = ["id": .string(m.id), "roles": .array(m.roles.map(JSONValue.string)),
                                              "publish_name": .bool(m.publishName), "added_at": .int(m.addedAt)]
                if let name = names[m.id] ?? m.name { o["name"] = .string(name) }
                if let title = m.title { o["title"] = .string(title) }
                if let key = m.key { o["key"] = .string(key) }
                return .object(o)
            }),
        ])
    }

    /// `hria people show ID`: the person now and every roster event about them.
    public static func show(_ member: Roster.Member, events: [Event], name: String?) -> String {
        var out = "\(member.id)"
        if let name = name ?? member.name { out += " — \(name)" }
        if let title = member.title { out += ", \(title)" }
        out += "\n"
        out += "  name: " + (member.publishName ? "may be published" : "confidential (shown by id in reports and bundles)") + "\n"
        if let removed = member.removedAt { out += "  removed by roster event #\(removed)\n" }
        out += "  roles: " + (member.roles.isEmpty ? "none" : member.roles.joined(separator: ", ")) + "\n"
        out += "  key: " + (member.key.map { "\(fingerprint($0))  \($0)" } ?? "none") + "\n"
        if member.keys.count > 1 {
            out += "  earlier keys (valid for acts before their rotation): " + member.keys.dropLast().map(fingerprint).joined(separator: ", ") + "\n"
        }
        out += "history:\n"
        for event in events where subject(event.payload) == member.id {
            out += "  #\(event.seq)  \(event.timeText)  \(event.actor) \(sentence(event.payload))\n"
        }
        return out
    }

    /// The person a roster event is about.
    public static func subject(_ payload: EventPayload) -> String? {
        switch payload {
        case .personAdded(let p): p.person
        case .roleGranted(let p), .roleRevoked(let p): p.person
        case .keyRotated(let p): p.person
        case .personRemoved(let p): p.person
        default: nil
        }
    }
}
