import Foundation

/// The kinds of event an assessment's log holds (docs/AUDIT-LOG.md, "The events").
public enum EventType: String, Sendable, CaseIterable {
    case assessmentCreated = "assessment.created"
    case factSet = "fact.set"
    case evidenceAdded = "evidence.added"
    case evidenceUpdated = "evidence.updated"
    case signoffRecorded = "signoff.recorded"
    case stageAdvanced = "stage.advanced"
    case decisionRecorded = "decision.recorded"
    case commentAdded = "comment.added"
    case disclosureErased = "disclosure.erased"
    case recoveryTruncated = "recovery.truncated"
    case workflowMigrated = "workflow.migrated"
    // The roster's own events (roster/log.jsonl): who may act, under which roles, with which keys.
    case personAdded = "person.added"
    case roleGranted = "role.granted"
    case roleRevoked = "role.revoked"
    case keyRotated = "key.rotated"
    case personRemoved = "person.removed"
    case policySet = "policy.set"

    /// Whether events of this type change the roster (and belong in its log, never in an assessment's).
    public var isRosterChange: Bool {
        switch self {
        case .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet: true
        default: false
        }
    }

    /// The type spelled by these bytes, without making a string.
    public init?(bytes: some Collection<UInt8>) {
        guard let match = EventType.utf8.first(where: { $0.bytes.count == bytes.count && $0.bytes.elementsEqual(bytes) }) else {
            return nil
        }
        self = match.type
    }

    /// The type spelled by the bytes of a line in place (every line is read this way, so no string is made).
    public init?(bytes b: UnsafeBufferPointer<UInt8>) {
        func spells(_ name: StaticString) -> Bool {
            guard b.count == name.utf8CodeUnitCount else { return false }
            for k in 0..<b.count where b[k] != name.utf8Start[k] { return false }
            return true
        }
        switch b.first {
        case UInt8(ascii: "a") where spells("assessment.created"): self = .assessmentCreated
        case UInt8(ascii: "f") where spells("fact.set"): self = .factSet
        case UInt8(ascii: "e") where spells("evidence.added"): self = .evidenceAdded
        case UInt8(ascii: "e") where spells("evidence.updated"): self = .evidenceUpdated
        case UInt8(ascii: "s") where spells("signoff.recorded"): self = .signoffRecorded
        case UInt8(ascii: "s") where spells("stage.advanced"): self = .stageAdvanced
        case UInt8(ascii: "d") where spells("decision.recorded"): self = .decisionRecorded
        case UInt8(ascii: "d") where spells("disclosure.erased"): self = .disclosureErased
        case UInt8(ascii: "c") where spells("comment.added"): self = .commentAdded
        case UInt8(ascii: "r") where spells("recovery.truncated"): self = .recoveryTruncated
        case UInt8(ascii: "p") where spells("person.added"): self = .personAdded
        case UInt8(ascii: "p") where spells("person.removed"): self = .personRemoved
        case UInt8(ascii: "p") where spells("policy.set"): self = .policySet
        case UInt8(ascii: "r") where spells("role.granted"): self = .roleGranted
        case UInt8(ascii: "r") where spells("role.revoked"): self = .roleRevoked
        case UInt8(ascii: "k") where spells("key.rotated"): self = .keyRotated
        case UInt8(ascii: "w") where spells("workflow.migrated"): self = .workflowMigrated
        default: return nil
        }
    }

    private static let utf8: [(type: EventType, bytes: [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }
}

/// An event the engine has decided on; the log gives it its `seq`, `prev` and bytes.
public struct EventDraft: Sendable, Hashable {
    public var actor: String
    public var stage: String
    public var time: Date
    public var payload: EventPayload
    /// Digests of disclosures, decoys included, sorted.
    public var sd: [String]
    /// The size of the roster the act was decided against (a person's act in an assessment written since the
    /// roster exists); nil in the roster's own events, hria's repairs and events written before.
    public var roster: Int?

    public var type: EventType { payload.type }

    /// The line format version the event is written in: 2 for roster changes and acts that name a roster state,
    /// 1 for everything else (so logs written before the roster keep their bytes).
    public var version: Int { roster != nil || type.isRosterChange ? 2 : 1 }

    public init(actor: String, stage: String, time: Date, payload: EventPayload, sd: [String] = [], roster: Int? = nil) {
        self.actor = actor
        self.stage = stage
        self.time = time
        self.payload = payload
        self.sd = sd
        self.roster = roster
    }
}

/// One line of an assessment's log, read back: the exact stored bytes and the typed event they hold. Every reader
/// (the commands' fold, `verify`, reports, bundles) gets events only through `EventLine.decode`, so all of them
/// accept and refuse exactly the same lines.
public struct Event: Sendable {
    /// The stored bytes, without the line break.
    public var line: [UInt8]
    public var seq: Int
    /// The RFC 6962 leaf hash of the previous line (`SHA256Hash.zero` for the first event).
    public var prev: SHA256Hash
    /// What the event says, as the engine drafts it: actor, stage, time, payload and disclosure digests.
    public var draft: EventDraft
    /// The actor's signature, base64, over the line without its `sig` member.
    public var signature: String?

    public init(line: [UInt8], seq: Int, prev: SHA256Hash, draft: EventDraft, signature: String?) {
        self.line = line
        self.seq = seq
        self.prev = prev
        self.draft = draft
        self.signature = signature
    }

    public var actor: String { draft.actor }
    public var stage: String { draft.stage }
    /// To the second, as stored.
    public var time: Date { draft.time }
    public var payload: EventPayload { draft.payload }
    /// Digests of disclosures, decoys included, sorted.
    public var sd: [String] { draft.sd }
    public var type: EventType { draft.payload.type }
    /// The roster size the act was decided against, when it names one.
    public var roster: Int? { draft.roster }

    /// The time as the line records it.
    public var timeText: String { Timestamp.format(time) }

    /// The roles the actor acted under, as the event records them (none for the system's own events).
    public var roles: [String] { draft.payload.roles }
}

/// Why stored bytes are not a well-formed event.
public struct EventParseError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
