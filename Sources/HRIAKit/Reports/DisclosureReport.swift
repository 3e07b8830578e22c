import Foundation

/// `hria disclosures ID`: every confidential value an assessment recorded, by the digest its event lists, with the
/// item and field it belongs to and whether it is kept here or was erased. The values themselves are never shown:
/// this is the map `hria erase` and selective disclosure need, without reading private/ by hand.
public enum DisclosureReport {
    public struct Row: Sendable, Equatable {
        public var seq: Int
        public var requirement: String
        public var type: String
        /// The field; for an erased value whose file is gone, the names it can be (by elimination within its item).
        public var field: String
        public var digest: String?
        public enum State: Sendable, Equatable {
            case kept
            case erased(by: Int)
            /// The log records the erasure, but the plaintext is still here (the deletion was interrupted): erase again.
            case erasedButStillHere(by: Int)
            /// Recorded, but its plaintext is not in this workspace (written on another machine, or lost).
            case notStoredHere
        }
        public var state: State
    }

    /// Who may list an assessment's confidential values through a server: who may erase them, someone holding a
    /// role its workflow declares (the rule `hria erase` applies). On a workspace, whoever can read its private/ folder
    /// reads the map, and no role is asked for; a server reads that folder for everyone who signs, so it lets through
    /// only those the workflow gives a part in the assessment, refused otherwise as an erasure would be.
    public static func checkReader(_ person: Person, workflow: Workflow, id: String) throws(Refusal) {
        try EventRules.requireWorkflowRole(actor: person.id, roles: person.roles, workflow: workflow, action: "list the confidential values",
                                           summary: "\(person.id) cannot list the confidential values of \(id)")
    }

    public static func rows(_ loaded: LoadedAssessment, disclosures: [String: Disclosure]) -> [Row] {
        var erasedBy: [String: Int] = [:]
        for event in loaded.events { if case .disclosureErased(let p) = event.payload { erasedBy[p.digest] = event.seq } }
        var rows: [Row] = []
        for event in loaded.events {
            guard case .evidenceAdded(let p) = event.payload, !p.confidential.isEmpty else { continue }
            let kept = event.sd.compactMap { digest in disclosures[digest].map { (digest, $0.name) } }
            let erased = event.sd.filter { erasedBy[$0] != nil && disclosures[$0] == nil }
            // The names no kept value accounts for: erased here, or recorded on another machine.
            let unaccounted = p.confidential.filter { name in !kept.contains { $0.1 == name } }
            let candidates = unaccounted.joined(separator: " or ")
            for (digest, name) in kept.sorted(by: { $0.1 < $1.1 }) {
                rows.append(Row(seq: event.seq, requirement: p.requirement, type: p.type, field: name, digest: digest,
                                state: erasedBy[digest].map { .erasedButStillHere(by: $0) } ?? .kept))
            }
            // An erased value's file is gone with its name; within its item the name is known by elimination when one is left.
            for digest in erased {
                rows.append(Row(seq: event.seq, requirement: p.requirement, type: p.type, field: unaccounted.count == 1 ? unaccounted[0] : candidates,
                                digest: digest, state: .erased(by: erasedBy[digest] ?? -1)))
            }
            if erased.isEmpty {
                for name in unaccounted {
                    rows.append(Row(seq: event.seq, requirement: p.requirement, type: p.type, field: name, digest: nil, state: .notStoredHere))
                }
            } else if unaccounted.count > erased.count {
                rows.append(Row(seq: event.seq, requirement: p.requirement, type: p.type, field: candidates, digest: nil, state: .notStoredHere))
            }
        }
        return rows
    }

    public static func text(_ rows: [Row], id: String) -> String {
        guard !rows.isEmpty else { return "\(id) records no confidential value\n" }
        var out = ""
        var current: Int?
        let width = rows.map(\.field.count).max() ?? 0
        for row in rows {
            if row.seq != current {
                out += DisplayText.escape("#\(row.seq) \(row.requirement) (\(row.type))") + "\n"
                current = row.seq
            }
            let state: String = switch row.state {
            case .kept: "kept     "
            case .erased(let by): "erased by #\(by)"
            case .erasedButStillHere(let by): "erased by #\(by), but the plaintext is still here: run hria erase again"
            case .notStoredHere: "not stored here"
            }
            out += DisplayText.escape("  \(row.field.padding(toLength: width, withPad: " ", startingAt: 0))  \(state)  \(row.digest ?? "(digest not known here)")") + "\n"
        }
        return out
    }

    public static func json(_ rows: [Row]) -> JSONValue {
        .array(rows.map { row in
            var object: [String: JSONValue] = ["event": .int(row.seq), "requirement": .string(row.requirement), "type": .string(row.type),
                                               "field": .string(row.field), "digest": row.digest.map(JSONValue.string) ?? .null]
            switch row.state {
            case .kept: object["state"] = .string("kept")
            case .erased(let by):
                object["state"] = .string("erased")
                object["erased_by"] = .int(by)
            case .erasedButStillHere(let by):
                object["state"] = .string("erased_but_still_here")
                object["erased_by"] = .int(by)
            case .notStoredHere: object["state"] = .string("not_stored_here")
            }
            return .object(object)
        })
    }
}
