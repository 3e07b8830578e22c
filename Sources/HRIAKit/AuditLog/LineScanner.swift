import Glibc

/// Reads the top level of a log line without building a JSON tree or any string: the numbers it needs and the
/// byte ranges of everything else. `verify` uses it to check seq, prev and types at close to the speed of
/// hashing; anything it cannot read makes the caller fall back to the full parser, which names the problem.
public struct TopLevelLine: Sendable, Equatable {
    /// A byte range held in 8 bytes (absent when `start` is negative): `verify` passes a line's reading around
    /// on every line, and a third of the size keeps those copies cheap. Lines of 2 GiB or more are not scanned.
    struct Span: Sendable, Equatable {
        var start: Int32 = -1
        var end: Int32 = -1

        var range: Range<Int>? {
            get { start < 0 ? nil : Int(start)..<Int(end) }
            set {
                start = newValue.map { Int32(truncatingIfNeeded: $0.lowerBound) } ?? -1
                end = newValue.map { Int32(truncatingIfNeeded: $0.upperBound) } ?? -1
            }
        }
    }

    public var version: Int?
    public var seq: Int?
    private var prevSpan = Span(), typeSpan = Span(), actorSpan = Span(), stageSpan = Span(), timeSpan = Span(),
                sigSpan = Span(), dataSpan = Span(), sdSpan = Span()

    /// Byte ranges of string values (without quotes; nil when absent or holding an escape), and of `data`/`_sd`;
    /// set only by the scanner, which reads no line of 2 GiB or more, so every range fits its 32-bit span.
    public internal(set) var prev: Range<Int>? { get { prevSpan.range } set { prevSpan.range = newValue } }
    public internal(set) var type: Range<Int>? { get { typeSpan.range } set { typeSpan.range = newValue } }
    public internal(set) var actor: Range<Int>? { get { actorSpan.range } set { actorSpan.range = newValue } }
    public internal(set) var stage: Range<Int>? { get { stageSpan.range } set { stageSpan.range = newValue } }
    public internal(set) var time: Range<Int>? { get { timeSpan.range } set { timeSpan.range = newValue } }
    public internal(set) var sig: Range<Int>? { get { sigSpan.range } set { sigSpan.range = newValue } }
    public internal(set) var data: Range<Int>? { get { dataSpan.range } set { dataSpan.range = newValue } }
    public internal(set) var sd: Range<Int>? { get { sdSpan.range } set { sdSpan.range = newValue } }

    public var hasSignature: Bool { sig != nil }
    /// The `_sd` member is exactly `[]`.
    public var sdIsEmpty: Bool { sdSpan.start >= 0 && sdSpan.end - sdSpan.start == 2 }

    /// The text of a string member.
    public static func text(_ range: Range<Int>?, in line: [UInt8]) -> String? {
        range.map { String(decoding: line[$0], as: UTF8.self) }
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")

    /// Scans one line; nil when it is not a JSON object whose top level this scanner can read.
    public static func scan(_ line: [UInt8]) -> TopLevelLine? {
        line.withUnsafeBufferPointer { scan($0) }
    }

    /// Scans a line in place (ranges are relative to the buffer's start).
    public static func scan(_ b: UnsafeBufferPointer<UInt8>) -> TopLevelLine? {
        guard b.count < Int(Int32.max) else { return nil }
        var canonical = Scanner(b: b)
        if let line = canonical.canonicalLine() { return line }
        return scanAnyForm(b)
    }

    /// Scans a line with the general reader only, whatever its form (the canonical fast path must agree with it).
    static func scanAnyForm(_ b: UnsafeBufferPointer<UInt8>) -> TopLevelLine? {
        guard b.count < Int(Int32.max) else { return nil }
        var scanner = Scanner(b: b)
        return scanner.line()
    }

    /// The scanning state as a struct with mutating methods, so the hot loop needs no captured variables.
    struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        init(b: UnsafeBufferPointer<UInt8>) {
            self.b = b
        }

        @inline(__always)
        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        }

        /// Reads a string at a quote: the range of its content and whether it holds an escape.
        @inline(__always)
        mutating func readString() -> (Range<Int>, Bool)? {
            guard i < b.count, b[i] == TopLevelLine.quote, let (end, escaped) = Scanner.closingQuote(b, from: i + 1) else { return nil }
            let range = (i + 1)..<end
            i = end + 1
            return (range, escaped)
        }

        /// The index of the quote that closes a string whose content starts at `start`, and whether the string
        /// holds an escape; nil if it is not closed or holds a raw control character. Static, on locals, so the
        /// position stays in a register in the loops that call it.
        @inline(__always)
        static func closingQuote(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Bool)? {
            var i = start
            var escaped = false
            while true {
                i = nextStringStop(b, from: i)
                guard i < b.count else { return nil }
                let c = b[i]
                if c == TopLevelLine.quote { return (i, escaped) }
                // A raw control character: not JSON.
                guard c == TopLevelLine.backslash else { return nil }
                escaped = true
                i += 2
            }
        }

        private static let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080

        /// The first index at or after `start` whose byte `isStop` accepts (`b.count` if none), eight bytes at a
        /// time: `stops` marks with 0x80 the stop bytes of a word (read little-endian), exactly at the lowest one.
        ///
        /// The marks use (x − 0x01…) & ~x & 0x80…, non-zero in the bytes of x that are zero (with 0x20… instead of
        /// 0x01…: below 0x20); a borrow can only mark bytes after a true one, so the lowest mark is exact. x ^ c and
        /// x & 0xDF… keep x's high bits for an ASCII c, so several tests can share one ~x.
        @inline(__always)
        static func firstStop(_ b: UnsafeBufferPointer<UInt8>, from start: Int, stops: (UInt64) -> UInt64,
                              isStop: (UInt8) -> Bool) -> Int {
            var i = start
            if let base = b.baseAddress {
                let raw = UnsafeRawPointer(base)
                while i &+ 16 <= b.count {
                    let first = stops(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    let second = stops(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)))
                    if first != 0 { return i &+ first.trailingZeroBitCount / 8 }
                    if second != 0 { return i &+ 8 &+ second.trailingZeroBitCount / 8 }
                    i &+= 16
                }
                while i &+ 8 <= b.count {
                    let found = stops(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    if found != 0 { return i &+ found.trailingZeroBitCount / 8 }
                    i &+= 8
                }
            }
            while i < b.count, !isStop(b[i]) { i += 1 }
            return i
        }

        /// The first index at or after `start` holding a quote, a backslash or a control character (`b.count` if
        /// none). Strings make up most of a line, so this is what `verify` spends its scanning time on.
        @inline(__always)
        static func nextStringStop(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
            firstStop(b, from: start, stops: { word in
                let quotes = word ^ (ones &* UInt64(TopLevelLine.quote))
                let backslashes = word ^ (ones &* UInt64(TopLevelLine.backslash))
                return ((quotes &- ones) | (backslashes &- ones) | (word &- ones &* 0x20)) & ~word & highs
            }, isStop: { $0 == TopLevelLine.quote || $0 == TopLevelLine.backslash || $0 < 0x20 })
        }

        /// Skips a nested object or array, minding strings.
        mutating func skipNested() -> Bool {
            var j = i
            var depth = 0
            while true {
                j = Scanner.nextStructural(b, from: j)
                guard j < b.count else { return false }
                let c = b[j]
                if c == TopLevelLine.quote {
                    guard let (end, _) = Scanner.closingQuote(b, from: j + 1) else { return false }
                    j = end + 1
                    continue
                }
                if c == TopLevelLine.openBrace || c == TopLevelLine.openBracket {
                    depth += 1
                } else {
                    depth -= 1
                    if depth == 0 {
                        i = j + 1
                        return true
                    }
                }
                j += 1
            }
        }

        /// The first index at or after `start` holding a quote or a bracket (`b.count` if none). Masking out bit 5
        /// folds `{` onto `[` and `}` onto `]`.
        @inline(__always)
        static func nextStructural(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
            firstStop(b, from: start, stops: { word in
                let folded = word & 0xDFDF_DFDF_DFDF_DFDF
                let quotes = word ^ (ones &* UInt64(TopLevelLine.quote))
                let opens = folded ^ (ones &* UInt64(TopLevelLine.openBracket))
                let closes = folded ^ (ones &* UInt64(TopLevelLine.closeBracket))
                return ((quotes &- ones) | (opens &- ones) | (closes &- ones)) & ~word & highs
            }, isStop: { $0 == TopLevelLine.quote || $0 == TopLevelLine.openBrace || $0 == TopLevelLine.openBracket
                || $0 == TopLevelLine.closeBrace || $0 == TopLevelLine.closeBracket })
        }

        /// Consumes `text` if the bytes at the current position spell it.
        @inline(__always)
        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard i + count <= b.count, let base = b.baseAddress else { return false }
            let here = UnsafeRawPointer(base + i), expected = UnsafeRawPointer(text.utf8Start)
            // The literals are 1 to 16 bytes: two overlapping loads compare them without a call to memcmp.
            let same: Bool
            switch count {
            case 8...16:
                same = here.loadUnaligned(as: UInt64.self) == expected.loadUnaligned(as: UInt64.self)
                    && here.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == expected.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            case 4..<8:
                same = here.loadUnaligned(as: UInt32.self) == expected.loadUnaligned(as: UInt32.self)
                    && here.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) == expected.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            default:
                same = memcmp(here, expected, count) == 0
            }
            guard same else { return false }
            i += count
            return true
        }

        /// A string without escapes: its content's range; nil for anything else.
        @inline(__always)
        mutating func plainString() -> Range<Int>? {
            guard let (range, escaped) = readString(), !escaped else { return nil }
            return range
        }

        /// A nested value that starts with `opener`: its whole range, brackets included.
        @inline(__always)
        mutating func nested(_ opener: UInt8) -> Range<Int>? {
            let start = i
            guard i < b.count, b[i] == opener, skipNested() else { return nil }
            return start..<i
        }

        /// The line in the exact form hria writes: canonical JSON, members in sorted order, no spaces, no escapes
        /// in the top-level strings. Matching its fixed parts costs little more than reading them; any other
        /// form (valid or not) is left to `line()`, which gives the same result for the canonical form.
        mutating func canonicalLine() -> TopLevelLine? {
            var result = TopLevelLine()
            guard literal("{\"_sd\":"), let sd = nested(TopLevelLine.openBracket) else { return nil }
            result.sd = sd
            guard literal(",\"actor\":"), let actor = plainString() else { return nil }
            result.actor = actor
            guard literal(",\"data\":"), let data = nested(TopLevelLine.openBrace) else { return nil }
            result.data = data
            guard literal(",\"prev\":"), let prev = plainString() else { return nil }
            result.prev = prev
            guard literal(",\"seq\":"), let seq = number() else { return nil }
            result.seq = seq
            if literal(",\"sig\":") {
                guard let sig = plainString() else { return nil }
                result.sig = sig
            }
            guard literal(",\"stage\":"), let stage = plainString() else { return nil }
            result.stage = stage
            guard literal(",\"time\":"), let time = plainString() else { return nil }
            result.time = time
            guard literal(",\"type\":"), let type = plainString() else { return nil }
            result.type = type
            guard literal(",\"v\":"), let version = number(), literal("}"), i == b.count else { return nil }
            result.version = version
            return result
        }

        mutating func number() -> Int? {
            var value = 0
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(b[i] - 48))
                if o1 || o2 { return nil }
                value = sum
                i += 1
            }
            return i > start ? value : nil
        }

        func equals(_ r: Range<Int>, _ s: StaticString) -> Bool {
            guard r.count == s.utf8CodeUnitCount else { return false }
            return memcmp(b.baseAddress! + r.lowerBound, s.utf8Start, r.count) == 0
        }

        /// Which top-level key a key range spells (0 for one this scanner does not need).
        func key(_ r: Range<Int>) -> UInt8 {
            switch r.count {
            case 1: return equals(r, "v") ? 1 : 0
            case 3: return equals(r, "seq") ? 2 : equals(r, "_sd") ? 3 : equals(r, "sig") ? 4 : 0
            case 4: return equals(r, "prev") ? 5 : equals(r, "type") ? 6 : equals(r, "data") ? 7 : equals(r, "time") ? 8 : 0
            case 5: return equals(r, "actor") ? 9 : equals(r, "stage") ? 10 : 0
            default: return 0
            }
        }

        mutating func line() -> TopLevelLine? {
            var result = TopLevelLine()
            guard b.count > 0 else { return nil }
            skipSpace()
            guard i < b.count, b[i] == TopLevelLine.openBrace else { return nil }
            i += 1
            while true {
                skipSpace()
                guard let (keyRange, keyEscaped) = readString(), !keyEscaped else { return nil }
                skipSpace()
                guard i < b.count, b[i] == TopLevelLine.colon else { return nil }
                i += 1
                skipSpace()
                guard i < b.count else { return nil }
                let valueStart = i
                let which = key(keyRange)
                switch which {
                case 1:
                    guard let v = number() else { return nil }
                    result.version = v
                case 2:
                    guard let v = number() else { return nil }
                    result.seq = v
                case 4, 5, 6, 8, 9, 10:
                    guard let (range, escaped) = readString() else { return nil }
                    let value: Range<Int>? = escaped ? nil : range
                    switch which {
                    case 5: result.prev = value
                    case 6: result.type = value
                    case 8: result.time = value
                    case 9: result.actor = value
                    case 10: result.stage = value
                    default: result.sig = value
                    }
                default:
                    let c = b[i]
                    if c == TopLevelLine.openBrace || c == TopLevelLine.openBracket {
                        guard skipNested() else { return nil }
                    } else if c == TopLevelLine.quote {
                        guard readString() != nil else { return nil }
                    } else {
                        while i < b.count, b[i] != TopLevelLine.comma, b[i] != TopLevelLine.closeBrace { i += 1 }
                    }
                    if which == 7 { result.data = valueStart..<i } else if which == 3 { result.sd = valueStart..<i }
                }
                skipSpace()
                guard i < b.count else { return nil }
                if b[i] == TopLevelLine.comma {
                    i += 1
                    continue
                }
                if b[i] == TopLevelLine.closeBrace {
                    i += 1
                    skipSpace()
                    return i == b.count ? result : nil
                }
                return nil
            }
        }
    }
}
