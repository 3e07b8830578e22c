import Foundation

/// The one encoding of events as log lines, and the one decoding back (docs/AUDIT-LOG.md, "The log file"): one JSON object
/// per line, keys sorted, no whitespace, no floats. Members: `v`, `seq`, `prev`, `time`, `type`, `actor`, `stage`,
/// `data`, `_sd`, in version 2 `roster` where the act names the roster state it was decided against, and, when
/// signed, `sig`.
public enum EventLine {
    /// The versions of the line format this hria reads; it writes each event in the lowest that can hold it
    /// (`EventDraft.version`).
    public static let versions = 1...2

    /// The line's bytes, without the line break; with a signature, `sig` is one more member of the same object.
    public static func encode(_ draft: EventDraft, seq: Int, prev: SHA256Hash, signature: String? = nil) -> [UInt8] {
        var object: [String: JSONValue] = [
            "v": .int(draft.version),
            "seq": .int(seq),
            "prev": .string(prev.hex),
            "time": .string(Timestamp.format(draft.time)),
            "type": .string(draft.type.rawValue),
            "actor": .string(draft.actor),
            "stage": .string(draft.stage),
            "data": draft.payload.json(),
            "_sd": .array(draft.sd.map(JSONValue.string)),
        ]
        if let signature { object["sig"] = .string(signature) }
        if let roster = draft.roster { object["roster"] = .int(roster) }
        return Array(JSONValue.object(object).rendered().utf8)
    }

    /// Reads one stored line (without its line break) into a typed event; the error names what is wrong.
    public static func decode(_ line: [UInt8]) throws(EventParseError) -> Event {
        var event = try line.withUnsafeBufferPointer { buffer throws(EventParseError) in try decodeFields(buffer) }
        event.line = line
        return event
    }

    /// Reads a line in place; the event keeps a copy of its bytes.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>) throws(EventParseError) -> Event {
        var event = try decodeFields(line)
        event.line = Array(line)
        return event
    }

    /// The event without a copy of its bytes, as `verify` reads every line.
    @_spi(Benchmarks) public static func decodeWithoutLine(_ line: UnsafeBufferPointer<UInt8>) throws(EventParseError) -> Event {
        try decodeFields(line)
    }

    /// Both readers on one line, for the fuzz target that checks they agree: the canonical reader's event (nil when
    /// the line is not in canonical form) and the general reader's.
    @_spi(Fuzzing) public static func decodeBothWays(_ line: [UInt8]) -> (canonical: Event?, anyForm: Result<Event, EventParseError>) {
        line.withUnsafeBufferPointer { b in
            let canonical = canonicalType(b).flatMap { decodeCanonical(b, type: $0.type, version: $0.version) }
            do throws(EventParseError) {
                return (canonical, .success(try decodeAnyForm(b, expectedType: nil)))
            } catch {
                return (canonical, .failure(error))
            }
        }
    }

    /// Every member but the line's own bytes.
    static func decodeFields(_ b: UnsafeBufferPointer<UInt8>) throws(EventParseError) -> Event {
        // hria's own lines end with the type (keys are sorted): knowing it before `data` lets the data be read in
        // one pass. For any other line, or if the guess is wrong, the data is read again once the type is known.
        let expected = canonicalType(b)
        if let expected, let event = decodeCanonical(b, type: expected.type, version: expected.version) { return event }
        return try decodeAnyForm(b, expectedType: expected?.type)
    }

    /// A line in exactly the form `encode` writes (members in order, no spaces), read by matching its fixed parts
    /// and reading each value with the same readers as `decodeAnyForm`; nil for anything else, which the general
    /// reader then reads (or refuses, naming the problem). A test checks the two agree on thousands of edits.
    static func decodeCanonical(_ b: UnsafeBufferPointer<UInt8>, type: EventType, version: Int) -> Event? {
        var r = JSONReader(b)
        guard r.literal("{\"_sd\":"), let sd = try? digests(&r),
              r.literal(",\"actor\":"), let actor = try? r.string(), Person.isValidID(actor),
              r.literal(",\"data\":"), let payload = try? EventPayload.decode(type, &r),
              r.literal(",\"prev\":\""), r.offset + 65 <= b.count,
              let prev = SHA256Hash(hex: UnsafeBufferPointer(rebasing: b[r.offset..<(r.offset + 64)])) else { return nil }
        r.offset += 64
        var roster: Int?
        if r.literal("\",\"roster\":") {
            guard r.peekDigit, let value = try? r.int(), r.literal(",\"seq\":") else { return nil }
            roster = value
        } else {
            guard r.literal("\",\"seq\":") else { return nil }
        }
        guard r.peekDigit, let seq = try? r.int() else { return nil }
        var signature: String?
        if r.literal(",\"sig\":") {
            guard let value = try? r.string() else { return nil }
            signature = value
        }
        guard r.literal(",\"stage\":"), let stage = try? r.string(), r.literal(",\"time\":\""), r.offset + 21 <= b.count,
              let time = Timestamp.parseStored(UnsafeBufferPointer(rebasing: b[r.offset..<(r.offset + 20)])) else { return nil }
        r.offset += 20
        // The type's name and the version were matched by `canonicalType`.
        guard r.literal("\",\"type\":\"") else { return nil }
        r.offset += type.rawValue.utf8.count + 7
        let draft = EventDraft(actor: actor, stage: stage, time: time, payload: payload, sd: sd, roster: roster)
        guard r.literal("}"), r.offset == b.count, draft.version == version else { return nil }
        return Event(line: [], seq: seq, prev: prev, draft: draft, signature: signature)
    }

    /// Any JSON form of an event: members in any order, whitespace allowed.
    static func decodeAnyForm(_ b: UnsafeBufferPointer<UInt8>, expectedType: EventType?) throws(EventParseError) -> Event {
        var r = JSONReader(b)
        var version: Int?, seq: Int?, roster: Int?, prev: SHA256Hash?, time: Date?, type: EventType?, actor: String?, stage: String?
        var sd: [String]?, signature: String?, dataOffset: Int?
        var seen: UInt16 = 0
        var payload: Result<EventPayload, JSONParseError>?
        do throws(JSONParseError) {
            try r.object { (r: inout JSONReader, key: JSONKey) throws(JSONParseError) in
                let bit: UInt16
                switch key.byteCount {
                case 1 where key == "v":
                    bit = 1
                    version = try r.int()
                case 3 where key == "seq":
                    bit = 2
                    seq = try r.int()
                case 3 where key == "_sd":
                    bit = 4
                    sd = try digests(&r)
                case 3 where key == "sig":
                    bit = 8
                    signature = try r.string()
                case 4 where key == "prev":
                    bit = 16
                    let start = r.offset
                    let (range, escaped) = try r.stringValueRange()
                    guard !escaped, let hash = SHA256Hash(hex: UnsafeBufferPointer(rebasing: b[range])) else {
                        throw r.error("prev is not a SHA-256 digest in lowercase hex", at: start)
                    }
                    prev = hash
                case 4 where key == "time":
                    bit = 32
                    let start = r.offset
                    let (range, escaped) = try r.stringValueRange()
                    guard !escaped, let value = Timestamp.parseStored(UnsafeBufferPointer(rebasing: b[range])) else {
                        throw r.error("time is not a time written as YYYY-MM-DDTHH:MM:SSZ", at: start)
                    }
                    time = value
                case 4 where key == "type":
                    bit = 64
                    let start = r.offset
                    let (range, escaped) = try r.stringValueRange()
                    guard !escaped, let value = EventType(bytes: UnsafeBufferPointer(rebasing: b[range])) else {
                        throw r.error("unknown event type", at: start)
                    }
                    type = value
                case 4 where key == "data":
                    bit = 128
                    r.skipWhitespace()
                    dataOffset = r.offset
                    if let expectedType {
                        do throws(JSONParseError) {
                            payload = .success(try EventPayload.decode(expectedType, &r))
                        } catch {
                            payload = .failure(error)
                            r.offset = dataOffset!
                            try r.skipNested(opener: 0x7B, what: "data is not an object")
                        }
                    } else {
                        try r.skipNested(opener: 0x7B, what: "data is not an object")
                    }
                case 5 where key == "actor":
                    bit = 256
                    actor = try r.string()
                case 5 where key == "stage":
                    bit = 512
                    stage = try r.string()
                case 6 where key == "roster":
                    bit = 1024
                    let start = r.offset
                    let value = try r.int()
                    guard value >= 1 else { throw r.error("roster is the size of a roster, at least 1", at: start) }
                    roster = value
                default:
                    throw r.error("unknown member \"\(key.string)\"", at: key.offset)
                }
                guard seen & bit == 0 else { throw r.error("the member \"\(key.string)\" is repeated", at: key.offset) }
                seen |= bit
            }
            try r.expectEnd()
        } catch {
            throw EventParseError(error.description)
        }
        guard let version else { throw EventParseError("v is missing") }
        guard Self.versions.contains(version) else {
            throw EventParseError("v is \(version); this hria reads versions \(Self.versions.lowerBound) to \(Self.versions.upperBound)")
        }
        guard let seq, seq >= 0 else { throw EventParseError("seq is missing or negative") }
        guard let prev else { throw EventParseError("prev is missing") }
        guard let time else { throw EventParseError("time is missing") }
        guard let type else { throw EventParseError("type is missing") }
        guard let actor else { throw EventParseError("actor is missing") }
        guard Person.isValidID(actor) else { throw EventParseError("actor \"\(actor)\" is not a person id") }
        guard let stage else { throw EventParseError("stage is missing") }
        guard let sd else { throw EventParseError("_sd is missing") }
        guard let dataOffset else { throw EventParseError("data is missing") }
        if payload == nil || type != expectedType {
            var dataReader = JSONReader(b, offset: dataOffset)
            do throws(JSONParseError) {
                payload = .success(try EventPayload.decode(type, &dataReader))
            } catch {
                payload = .failure(error)
            }
        }
        let decoded: EventPayload
        switch payload {
        case .success(let value)?: decoded = value
        case .failure(let error)?: throw EventParseError(error.description)
        case nil: throw EventParseError("data is missing")
        }
        let draft = EventDraft(actor: actor, stage: stage, time: time, payload: decoded, sd: sd, roster: roster)
        if roster != nil, type.isRosterChange { throw EventParseError("\(type.rawValue) is a roster change, which names no roster state") }
        guard draft.version == version else {
            throw EventParseError(version == 1 ? (roster != nil ? "roster is a member of version 2 events, but v is 1"
                                                     : "\(type.rawValue) is written in version 2, but v is 1")
                                  : "v is 2, but the event names no roster state")
        }
        return Event(line: [], seq: seq, prev: prev, draft: draft, signature: signature)
    }

    /// The type and version a line in hria's own form names in its last members (`,"type":"NAME","v":1}`); nil
    /// otherwise.
    @inline(__always)
    static func canonicalType(_ b: UnsafeBufferPointer<UInt8>) -> (type: EventType, version: Int)? {
        let tail: StaticString = "\",\"v\":1}", head: StaticString = ",\"type\":\""
        let tailCount = tail.utf8CodeUnitCount, headCount = head.utf8CodeUnitCount
        guard b.count > tailCount + headCount else { return nil }
        // The tail with its version digit (the one byte before the closing brace) left out.
        for k in 0..<tailCount where k != tailCount - 2 && b[b.count - tailCount + k] != tail.utf8Start[k] { return nil }
        let digit = b[b.count - 2]
        guard digit == UInt8(ascii: "1") || digit == UInt8(ascii: "2") else { return nil }
        let nameEnd = b.count - tailCount
        var nameStart = nameEnd
        // Type names are at most 18 bytes and hold no quote.
        while nameStart > 0, nameEnd - nameStart < 20, b[nameStart - 1] != 0x22 { nameStart -= 1 }
        guard nameStart >= headCount + 1, nameEnd - nameStart < 20 else { return nil }
        for k in 0..<headCount where b[nameStart - headCount + k] != head.utf8Start[k] { return nil }
        return EventType(bytes: UnsafeBufferPointer(rebasing: b[nameStart..<nameEnd])).map { ($0, Int(digit - UInt8(ascii: "0"))) }
    }

    /// `_sd`: disclosure digests, sorted, without repeats.
    static func digests(_ r: inout JSONReader) throws(JSONParseError) -> [String] {
        let start = r.offset
        let digests = try r.strings()
        guard digests.allSatisfy(DisclosureDigest.isWellFormed) else { throw r.error("_sd holds something other than disclosure digests", at: start) }
        guard zip(digests, digests.dropFirst()).allSatisfy({ Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) else {
            throw r.error("_sd is not sorted, or repeats a digest", at: start)
        }
        return digests
    }

    /// The bytes an event signature covers: the stored line with its `"sig":"..."` member taken out, byte for
    /// byte, so verifying never re-serialises. Nil when the line has no signature member.
    public static func signedBytes(of line: [UInt8]) -> (message: [UInt8], signature: String)? {
        // The last match is the top-level member: only stage, time, type and v follow it, none can hold it.
        let marker = Array("\"sig\":\"".utf8)
        guard let start = lastRange(of: marker, in: line) else { return nil }
        var end = start.upperBound
        while end < line.count, line[end] != UInt8(ascii: "\"") {
            // A base64 signature holds no quotes or escapes; anything else is not one of ours.
            if line[end] == UInt8(ascii: "\\") { return nil }
            end += 1
        }
        guard end < line.count else { return nil }
        let signature = String(decoding: line[start.upperBound..<end], as: UTF8.self)
        var removeFrom = start.lowerBound, removeTo = end + 1
        if removeTo < line.count, line[removeTo] == UInt8(ascii: ",") {
            removeTo += 1
        } else if removeFrom > 0, line[removeFrom - 1] == UInt8(ascii: ",") {
            removeFrom -= 1
        }
        return (Array(line[..<removeFrom]) + Array(line[removeTo...]), signature)
    }

    static func lastRange(of marker: [UInt8], in line: [UInt8]) -> Range<Int>? {
        guard line.count >= marker.count else { return nil }
        var i = line.count - marker.count
        while i >= 0 {
            if line[i] == marker[0], Array(line[i..<(i + marker.count)]) == marker { return i..<(i + marker.count) }
            i -= 1
        }
        return nil
    }

    /// Splits a log file into complete lines and the bytes after the last line break (a torn tail if any).
    public static func split(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], tail: ArraySlice<UInt8>) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                lines.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        return (lines, bytes[start...])
    }
}

extension JSONReader {
    /// A string value's content range (after whitespace), and whether it holds an escape.
    mutating func stringValueRange() throws(JSONParseError) -> (Range<Int>, Bool) {
        skipWhitespace()
        guard offset < b.count, b[offset] == 0x22 else { throw error("expected a string") }
        return try stringRange()
    }

    /// Passes over an object or array starting here, minding strings but not checking what is inside: the caller
    /// reads it properly later.
    mutating func skipNested(opener: UInt8, what: String) throws(JSONParseError) {
        guard offset < b.count, b[offset] == opener else { throw error(what) }
        var depth = 0
        var j = offset
        while true {
            j = ByteSearch.nextStructural(b, from: j)
            guard j < b.count else { throw error("unterminated \(opener == 0x7B ? "object" : "array")", at: offset) }
            let c = b[j]
            if c == 0x22 {
                offset = j
                _ = try stringRange()
                j = offset
                continue
            }
            if c == 0x7B || c == 0x5B {
                depth += 1
                guard depth <= Self.maximumDepth else { throw error("nested too deeply", at: j) }
            } else {
                depth -= 1
                if depth == 0 {
                    offset = j + 1
                    return
                }
            }
            j += 1
        }
    }
}

