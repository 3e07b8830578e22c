import Foundation

/// A change someone asks of the roster.
public enum RosterCommand: Sendable, Hashable {
    /// `importedFrom` only for the first person of a roster imported into a workspace that already had acts.
    case add(id: String, name: String, title: String?, roles: [String], key: String?, publishName: Bool, importedFrom: String? = nil)
    case grant(id: String, role: String, reason: String)
    case revoke(id: String, role: String, reason: String)
    case key(id: String, key: String, reason: String?)
    case remove(id: String, reason: String)
    case requireSignatures(Bool, reason: String)
}

extension Roster {
    /// The events that make `commands`, by `actor`, at `now`: each judged by the roster's rules against the roster
    /// as the ones before it leave it, so a refusal names the first change that cannot be made and nothing is
    /// recorded. An unpublished name and title become disclosures, their digests padded with decoys.
    public func decide(_ commands: [RosterCommand], actor: String, now: Date,
                       random: inout some RandomSource) throws(Refusal) -> (events: [EventDraft], disclosures: [Disclosure]) {
        var roster = self
        var events: [EventDraft] = []
        var disclosures: [Disclosure] = []
        for command in commands {
            // An admin acts as admin; someone changing only their own key acts under no role.
            let admin = roster.size == 0 || roster.members[actor]?.roles.contains(Roster.adminRole) == true
            let roles = admin ? [Roster.adminRole] : []
            var sd: [String] = []
            let payload: EventPayload
            switch command {
            case .add(let id, let name, let title, let grants, let key, let publish, let importedFrom):
                var confidential: [String] = []
                if !publish {
                    var kept = [Disclosure(saltBytes: random.bytes(16), name: "name", value: name)]
                    confidential.append("name")
                    if let title {
                        kept.append(Disclosure(saltBytes: random.bytes(16), name: "title", value: title))
                        confidential.append("title")
                    }
                    sd = Engine.paddedDigests(kept, random: &random)
                    disclosures += kept
                }
                payload = .personAdded(PersonAdded(person: id, name: publish ? name : nil, title: publish ? title : nil,
                                                   confidential: confidential, grants: Array(Set(grants)).sorted(), key: key, roles: roles,
                                                   importedFrom: importedFrom))
            case .grant(let id, let role, let reason):
                payload = .roleGranted(RoleChange(person: id, role: role, reason: reason, roles: roles))
            case .revoke(let id, let role, let reason):
                payload = .roleRevoked(RoleChange(person: id, role: role, reason: reason, roles: roles))
            case .key(let id, let key, let reason):
                payload = .keyRotated(KeyRotated(person: id, key: key, reason: reason, roles: roles))
            case .remove(let id, let reason):
                payload = .personRemoved(PersonRemoved(person: id, reason: reason, roles: roles))
            case .requireSignatures(let value, let reason):
                payload = .policySet(PolicySet(requireSignatures: value, reason: reason, roles: roles))
            }
            let draft = EventDraft(actor: actor, stage: Roster.stage, time: max(now, roster.times.last ?? now), payload: payload, sd: sd)
            try roster.record(draft)
            events.append(draft)
        }
        return (events, disclosures)
    }
}
