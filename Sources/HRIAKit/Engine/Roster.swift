import Foundation

/// Who may act in a workspace, as its roster log records it, at every size the log has had: a person's roles, key
/// and membership, and whether signatures are required, at roster size N (after events 0..<N). Built one event at a
/// time through `RosterRules`, by the command that records a change and by every reader of the roster log alike,
/// so no reader can believe a roster the writer would have refused.
///
/// An assessment event written since the roster exists names the size it was decided against; `RosterRules.judgeAct`
/// checks it against the roster at that size, so a role granted later never makes an earlier act valid, and a role
/// revoked earlier makes a later act invalid.
public struct Roster: Sendable {
    /// The role that may change the roster.
    public static let adminRole = "admin"
    /// The `stage` member every roster event carries (an event's envelope is the same in every log).
    public static let stage = "roster"

    /// One person, with every role and key they have held and when.
    public struct Member: Sendable {
        public var id: String
        /// The name and title, when the roster lets them be published.
        public var name: String?
        public var title: String?
        public var publishName: Bool
        /// The digests under which an unpublished name and title are kept (roster/private/disclosures).
        public var digests: [String]
        /// The roster event that added them.
        public var addedAt: Int
        public var removedAt: Int?
        /// For each role, the roster sizes at which it was held: granted by event g, it holds from size g + 1;
        /// revoked by event r, it no longer holds from size r + 1.
        var roleSpans: [String: [Range<Int>]] = [:]
        /// The keys in turn, each with the roster sizes at which it is the person's key.
        var keySpans: [(sizes: Range<Int>, key: String)] = []

        /// The roles held now, sorted.
        public var roles: [String] { roleSpans.filter { $0.value.last?.upperBound == Int.max }.map(\.key).sorted() }
        /// The key valid now.
        public var key: String? { keySpans.last.flatMap { $0.sizes.upperBound == Int.max ? $0.key : nil } }
        /// Every key the person has had, oldest first.
        public var keys: [String] { keySpans.map(\.key) }
        public var isRemoved: Bool { removedAt != nil }

        /// The roles held at roster size `size`.
        public func roles(atSize size: Int) -> Set<String> {
            Set(roleSpans.filter { $0.value.contains { $0.contains(size) } }.map(\.key))
        }

        /// The key valid at roster size `size`.
        public func key(atSize size: Int) -> String? {
            keySpans.first { $0.sizes.contains(size) }?.key
        }

        /// Whether they were on the roster at size `size`.
        public func isMember(atSize size: Int) -> Bool {
            size > addedAt && (removedAt.map { size <= $0 } ?? true)
        }

        /// The name to show: the published one, else the id.
        public var displayName: String { name ?? id }

        /// The person as the engine judges an act: their current roles and key.
        public var person: Person { Person(id: id, name: displayName, roles: roles, key: key) }
    }

    public private(set) var size = 0
    /// The time of each roster event, by seq.
    public private(set) var times: [Date] = []
    /// The people, in the order they were added.
    public private(set) var order: [String] = []
    public private(set) var members: [String: Member] = [:]
    /// Each policy event's seq and what it set; signatures are required until one says otherwise.
    public private(set) var policyChanges: [(seq: Int, requireSignatures: Bool)] = []
    /// Every disclosure digest the roster's events list.
    public private(set) var digests: Set<String> = []
    /// Whether the roster was imported into a workspace that already had acts (its first event says from where):
    /// only then are acts that name no roster state, dated before the roster began, accepted.
    public private(set) var acceptsEarlierActs = false

    public init() {}

    /// Whether every act must be signed now.
    public var requireSignatures: Bool { requireSignatures(atSize: size) }

    /// Whether every act decided against roster size `size` must be signed.
    public func requireSignatures(atSize size: Int) -> Bool {
        policyChanges.last { $0.seq < size }?.requireSignatures ?? true
    }

    public func member(_ id: String) -> Member? { members[id] }

    /// The people on the roster now, in the order they were added.
    public var current: [Member] { order.compactMap { members[$0] }.filter { !$0.isRemoved } }

    /// The key that must sign roster event `seq` by `actor`: the key they held before it, or, for the first event,
    /// the key it gives them.
    public func signingKey(for draft: EventDraft, seq: Int) -> String? {
        if seq == 0, case .personAdded(let p) = draft.payload { return p.key }
        return members[draft.actor]?.key(atSize: seq)
    }

    /// Records one roster event the rules allow; otherwise throws their refusal and changes nothing.
    public mutating func record(_ draft: EventDraft) throws(Refusal) {
        try RosterRules.judge(draft, roster: self)
        fold(draft)
    }

    /// Admits a recorded roster event: it must be the next one and one the rules allow at that point.
    public mutating func admit(_ event: Event) throws(HistoryViolation) {
        guard event.seq == size else { throw HistoryViolation(seq: event.seq, reason: "expected event \(size), found \(event.seq)") }
        do {
            try RosterRules.judge(event.draft, roster: self)
        } catch {
            throw HistoryViolation(seq: event.seq, reason: error.inWords)
        }
        fold(event.draft)
    }

    private mutating func fold(_ d: EventDraft) {
        let seq = size
        let from = seq + 1
        switch d.payload {
        case .personAdded(let p):
            if seq == 0 { acceptsEarlierActs = p.importedFrom != nil }
            var member = Member(id: p.person, name: p.name, title: p.title, publishName: p.publishName, digests: d.sd, addedAt: seq)
            for role in p.grants { member.roleSpans[role] = [from..<Int.max] }
            if let key = p.key { member.keySpans = [(from..<Int.max, key)] }
            members[p.person] = member
            order.append(p.person)
        case .roleGranted(let p):
            members[p.person]?.roleSpans[p.role, default: []].append(from..<Int.max)
        case .roleRevoked(let p):
            if var spans = members[p.person]?.roleSpans[p.role], let last = spans.popLast() {
                spans.append(last.lowerBound..<from)
                members[p.person]?.roleSpans[p.role] = spans
            }
        case .keyRotated(let p):
            if var member = members[p.person] {
                if let last = member.keySpans.popLast() { member.keySpans.append((last.sizes.lowerBound..<from, last.key)) }
                member.keySpans.append((from..<Int.max, p.key))
                members[p.person] = member
            }
        case .personRemoved(let p):
            if var member = members[p.person] {
                member.removedAt = seq
                member.roleSpans = member.roleSpans.mapValues { spans in
                    spans.map { $0.upperBound == Int.max ? $0.lowerBound..<from : $0 }
                }
                if let last = member.keySpans.popLast() { member.keySpans.append((last.sizes.lowerBound..<from, last.key)) }
                members[p.person] = member
            }
        case .policySet(let p):
            policyChanges.append((seq, p.requireSignatures))
        default:
            break
        }
        digests.formUnion(d.sd)
        times.append(d.time)
        size += 1
    }

    /// Reads a whole roster log.
    public static func replay(_ events: some Sequence<Event>) throws(HistoryViolation) -> Roster {
        var roster = Roster()
        for event in events { try roster.admit(event) }
        return roster
    }
}

/// The rules of the roster, and of an act in an assessment judged against it.
public enum RosterRules {
    /// Judges the next roster event against the roster before it.
    static func judge(_ d: EventDraft, roster: Roster) throws(Refusal) {
        let seq = roster.size
        if let last = roster.times.last, floor(d.time.timeIntervalSince1970) < floor(last.timeIntervalSince1970) {
            throw Refusal("it is dated \(Timestamp.format(d.time)), before the roster event before it (\(Timestamp.format(last)))", [])
        }
        guard d.stage == Roster.stage else { throw Refusal("a roster event is recorded at stage \(Roster.stage), not \(d.stage)", []) }
        guard d.roster == nil else { throw Refusal("a roster event names no roster state", []) }
        if case .recoveryTruncated = d.payload {
            guard d.actor == Person.systemID, seq > 0 else { throw Refusal("only hria itself records a repair, and never first", []) }
            guard d.sd.isEmpty else { throw Refusal("only a new person's name and title are confidential", []) }
            return
        }
        guard d.type.isRosterChange else {
            throw Refusal("\(d.type.rawValue) is an act in an assessment; the roster's log holds only roster changes", [])
        }
        guard d.actor != Person.systemID else { throw Refusal("a roster change is made by a person, not by hria itself", []) }
        let roles = d.payload.roles
        guard Set(roles).count == roles.count else { throw Refusal("it names a role twice", []) }
        if case .personAdded(let p) = d.payload, seq == 0 {
            // The first admin adds themselves; their key signs it.
            guard p.person == d.actor else { throw Refusal("the roster must start with its first admin adding themselves, not \(p.person)", []) }
            guard p.grants.contains(Roster.adminRole), roles == [Roster.adminRole] else {
                throw Refusal("the first person on the roster must be given, and act under, the role \(Roster.adminRole)", [])
            }
            guard p.key != nil else { throw Refusal("the first admin needs a key, to sign the roster's first event", []) }
        } else {
            guard seq > 0 else { throw Refusal("the roster must start with its first admin adding themselves", []) }
            try requireActor(d, roster: roster)
        }
        if d.type != .personAdded, !d.sd.isEmpty { throw Refusal("only a new person's name and title are confidential", []) }
        if case .personAdded(let p) = d.payload, p.importedFrom != nil, seq > 0 {
            throw Refusal("only the roster's first event says where its people were imported from", [])
        }
        switch d.payload {
        case .personAdded(let p):
            guard Person.isValidID(p.person), p.person != Person.systemID else {
                throw Refusal("\"\(p.person)\" is not a usable person id", [])
            }
            if let earlier = roster.members[p.person] {
                throw Refusal(earlier.isRemoved ? "\(p.person) was removed by roster event \(earlier.removedAt!); ids are never reused"
                              : "\(p.person) is already on the roster", [])
            }
            try checkRoles(p.grants, what: "the roles given")
            guard p.grants == p.grants.sorted(), Set(p.grants).count == p.grants.count else {
                throw Refusal("the roles given are not sorted, or repeat one", [])
            }
            if let key = p.key { try checkKey(key) }
            if p.publishName {
                guard let name = p.name, !EventRules.isBlank(name) else { throw Refusal("\(p.person) needs a name", []) }
            } else {
                guard p.name == nil, p.title == nil || !p.confidential.contains("title") else {
                    throw Refusal("a name kept confidential is not also written in the clear", [])
                }
                guard d.sd.count >= p.confidential.count, d.sd.count % Engine.digestBucket == 0 else {
                    throw Refusal("it lists \(d.sd.count) confidential digests for \(p.confidential.count) confidential fields", [])
                }
            }
            if p.publishName, !d.sd.isEmpty { throw Refusal("it lists confidential digests but keeps nothing confidential", []) }
            if let title = p.title, EventRules.isBlank(title) { throw Refusal("the title is empty", []) }
        case .roleGranted(let p):
            let member = try current(p.person, roster: roster)
            try checkRoles([p.role], what: "the role")
            guard !member.roles.contains(p.role) else { throw Refusal("\(p.person) already holds \(p.role)", []) }
            try needReason(p.reason)
        case .roleRevoked(let p):
            let member = try current(p.person, roster: roster)
            guard member.roles.contains(p.role) else {
                throw Refusal("\(p.person) does not hold \(p.role)", [.wrongRole(actor: p.person, action: "lose \(p.role)", needs: [p.role], holds: member.roles)])
            }
            if p.role == Roster.adminRole { try keepAnAdmin(besides: p.person, roster: roster) }
            try needReason(p.reason)
        case .keyRotated(let p):
            let member = try current(p.person, roster: roster)
            try checkKey(p.key)
            guard member.key != p.key else { throw Refusal("that is already the key of \(p.person)", []) }
            if let reason = p.reason, EventRules.isBlank(reason) { throw Refusal("the reason is empty", []) }
        case .personRemoved(let p):
            let member = try current(p.person, roster: roster)
            if member.roles.contains(Roster.adminRole) { try keepAnAdmin(besides: p.person, roster: roster) }
            try needReason(p.reason)
        case .policySet(let p):
            guard p.requireSignatures != roster.requireSignatures else {
                throw Refusal("signatures are already \(p.requireSignatures ? "required" : "not required")", [])
            }
            try needReason(p.reason)
        default:
            break
        }
    }

    /// Who may make a change: someone on the roster holding `admin` (acting under it), or, for their own key, the
    /// person themselves.
    static func requireActor(_ d: EventDraft, roster: Roster) throws(Refusal) {
        guard let actor = roster.members[d.actor], !actor.isRemoved else {
            throw Refusal("\(d.actor) is not on the roster, so cannot change it", [])
        }
        let held = actor.roles
        let roles = d.payload.roles
        if let role = roles.first(where: { !held.contains($0) }) {
            throw Refusal("\(d.actor) acts as \(role), which they do not hold",
                          [.wrongRole(actor: d.actor, action: "change the roster", needs: [Roster.adminRole], holds: held)])
        }
        if case .keyRotated(let p) = d.payload, p.person == d.actor { return }
        guard roles.contains(Roster.adminRole) else {
            throw Refusal("\(d.actor) cannot change the roster", [.wrongRole(actor: d.actor, action: "change the roster", needs: [Roster.adminRole], holds: held)])
        }
    }

    static func current(_ id: String, roster: Roster) throws(Refusal) -> Roster.Member {
        guard let member = roster.members[id] else { throw Refusal("\(id) is not on the roster", []) }
        guard !member.isRemoved else { throw Refusal("\(id) was removed from the roster by event \(member.removedAt!)", []) }
        return member
    }

    static func checkRoles(_ roles: [String], what: String) throws(Refusal) {
        for role in roles where !NodeReader.isIdentifier(role) {
            throw Refusal("\(what) \"\(role)\" is not a role name (letters, digits and _, starting with a letter)", [])
        }
    }

    static func checkKey(_ key: String) throws(Refusal) {
        guard key.hasPrefix("ssh-ed25519 ") || key.contains("+") else {
            throw Refusal("the key is neither an ssh-ed25519 key nor a verifier key", [])
        }
    }

    static func needReason(_ reason: String) throws(Refusal) {
        guard !EventRules.isBlank(reason) else { throw Refusal("a roster change needs a reason", []) }
    }

    /// The roster must keep someone who can change it.
    static func keepAnAdmin(besides id: String, roster: Roster) throws(Refusal) {
        guard roster.current.contains(where: { $0.id != id && $0.roles.contains(Roster.adminRole) }) else {
            throw Refusal("\(id) is the only admin; grant \(Roster.adminRole) to someone else first", [])
        }
    }

    /// Judges an act in an assessment against the roster state it names: that state existed and was the current one
    /// when the act was dated, the actor was on the roster then and held every role the act names.
    public static func judgeAct(_ d: EventDraft, roster: Roster) throws(Refusal) {
        guard let n = d.roster else { return }
        guard n >= 1, n <= roster.size else {
            throw Refusal("it names roster state \(n), but the roster has \(roster.size) event\(roster.size == 1 ? "" : "s")", [])
        }
        let time = floor(d.time.timeIntervalSince1970)
        if time < floor(roster.times[n - 1].timeIntervalSince1970) {
            throw Refusal("it is dated \(Timestamp.format(d.time)), before roster state \(n) existed (\(Timestamp.format(roster.times[n - 1])))", [])
        }
        if n < roster.size, floor(roster.times[n].timeIntervalSince1970) < time {
            throw Refusal("it names roster state \(n), but by \(Timestamp.format(d.time)) roster event \(n) had changed it", [])
        }
        guard let member = roster.members[d.actor], member.isMember(atSize: n) else {
            throw Refusal("\(d.actor) was not on the roster at state \(n)", [])
        }
        let held = member.roles(atSize: n)
        if let role = d.payload.roles.first(where: { !held.contains($0) }) {
            throw Refusal("\(d.actor) acted as \(role), which they did not hold at roster state \(n)",
                          [.wrongRole(actor: d.actor, action: "act as \(role)", needs: [role], holds: held.sorted())])
        }
    }
}
