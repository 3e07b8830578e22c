import Foundation

/// The kinds of event an assessment's log holds (DESIGN.md "Audit log").
public enum EventType: String, Sendable, CaseIterable {
    case assessmentCreated = "assessment.created"
    case factSet = "fact.set"
    case evidenceAdded = "evidence.added"
    case signoffRecorded = "signoff.recorded"
    case stageAdvanced = "stage.advanced"
    case decisionRecorded = "decision.recorded"
    case commentAdded = "comment.added"
    case disclosureErased = "disclosure.erased"
    case recoveryTruncated = "recovery.truncated"

    /// The type spelled by these bytes, without making a string.
    public init?(bytes: some Collection<UInt8>) {
        guard let match = EventType.utf8.first(where: { $0.bytes.count == bytes.count && $0.bytes.elementsEqual(bytes) }) else {
            return nil
        }
        self = match.type
    }

    /// The type spelled by the bytes of a line in place; `verify` asks this once per line.
    public init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return nil }
        for entry in EventType.utf8 where entry.bytes.count == bytes.count {
            if entry.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, base, bytes.count) }) == 0 {
                self = entry.type
                return
            }
        }
        return nil
    }

    private static let utf8: [(type: EventType, bytes: [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }
}

/// An event the engine has decided on; the log store gives it its `seq`, `prev` and bytes.
public struct EventDraft: Sendable, Hashable {
    public var type: EventType
    public var actor: String
    public var stage: String
    public var time: Date
    public var data: JSONValue
    /// Digests of disclosures, decoys included, sorted.
    public var sd: [String]

    public init(type: EventType, actor: String, stage: String, time: Date, data: JSONValue, sd: [String] = []) {
        self.type = type
        self.actor = actor
        self.stage = stage
        self.time = time
        self.data = data
        self.sd = sd
    }

    /// The canonical JSON object of this event at a position in the log (without a signature).
    public func object(seq: Int, prev: String) -> [String: JSONValue] {
        [
            "v": .int(1),
            "seq": .int(seq),
            "prev": .string(prev),
            "time": .string(Timestamp.format(time)),
            "type": .string(type.rawValue),
            "actor": .string(actor),
            "stage": .string(stage),
            "data": data,
            "_sd": .array(sd.map(JSONValue.string)),
        ]
    }
}

/// One line of an assessment's log, read back: the exact stored bytes and the fields parsed from them.
public struct Event: Sendable {
    public var line: [UInt8]
    public var seq: Int
    public var prev: String
    public var time: Date
    public var timeText: String
    public var type: EventType
    public var actor: String
    public var stage: String
    public var data: JSONValue
    public var sd: [String]
    public var sig: String?

    /// The `prev` of the first event: there is no earlier line.
    public static let genesisPrev = String(repeating: "0", count: 64)

    /// Parses one stored line; the reason names what is wrong for `verify` and recovery.
    public static func parse(_ line: [UInt8]) throws(EventParseError) -> Event {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw EventParseError("not valid JSON: \(error)")
        }
        guard case .object(let members) = value else { throw EventParseError("not a JSON object") }
        let allowed: Set<String> = ["v", "seq", "prev", "time", "type", "actor", "stage", "data", "_sd", "sig"]
        if let unknown = members.keys.first(where: { !allowed.contains($0) }) { throw EventParseError("unknown field \"\(unknown)\"") }
        guard members["v"]?.intValue == 1 else { throw EventParseError("v is not 1") }
        guard let seq = members["seq"]?.intValue, seq >= 0 else { throw EventParseError("seq is missing or negative") }
        guard let prev = members["prev"]?.stringValue, prev.utf8.count == 64 else { throw EventParseError("prev is not a SHA-256 hex digest") }
        guard let timeText = members["time"]?.stringValue, let time = Timestamp.parse(timeText) else {
            throw EventParseError("time is not an RFC 3339 timestamp")
        }
        guard let typeText = members["type"]?.stringValue, let type = EventType(rawValue: typeText) else {
            throw EventParseError("unknown event type")
        }
        guard let actor = members["actor"]?.stringValue else { throw EventParseError("actor is missing") }
        guard let stage = members["stage"]?.stringValue else { throw EventParseError("stage is missing") }
        guard let data = members["data"], case .object = data else { throw EventParseError("data is not an object") }
        guard let sdValues = members["_sd"]?.arrayValue else { throw EventParseError("_sd is missing") }
        let sd = sdValues.compactMap(\.stringValue)
        guard sd.count == sdValues.count else { throw EventParseError("_sd holds something other than digests") }
        var sig: String?
        if let s = members["sig"] {
            guard let text = s.stringValue else { throw EventParseError("sig is not text") }
            sig = text
        }
        return Event(line: line, seq: seq, prev: prev, time: time, timeText: timeText, type: type, actor: actor, stage: stage,
                     data: data, sd: sd, sig: sig)
    }
}

/// Why a stored line is not a well-formed event.
public struct EventParseError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
