/// Reads the top level of a log line without building a JSON tree: the scalar members it needs and the byte
/// ranges of the nested ones. `verify` and appends use it to check seq, prev and types at the speed of
/// hashing; anything it cannot read falls back to the full parser, which names the problem.
public struct TopLevelLine: Sendable {
    public var version: Int?
    public var seq: Int?
    public var prev: String?
    public var type: String?
    public var actor: String?
    public var stage: String?
    public var time: String?
    public var hasSignature = false
    /// Byte ranges of the `data` object and the `_sd` array within the line.
    public var data: Range<Int>?
    public var sd: Range<Int>?
    /// The `_sd` member is exactly `[]`.
    public var sdIsEmpty = false

    /// Scans one line; nil when it is not a JSON object whose top level this scanner can read.
    public static func scan(_ line: [UInt8]) -> TopLevelLine? {
        var result = TopLevelLine()
        var i = 0
        let n = line.count
        func skipSpace() { while i < n, line[i] == 0x20 || line[i] == 0x09 { i += 1 } }
        /// Reads a string starting at a quote; returns its value when it has no escapes (our scalars never do).
        func readString() -> (String?, Bool)? {
            guard i < n, line[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var escaped = false
            while i < n, line[i] != UInt8(ascii: "\"") {
                if line[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                if i < n, line[i] < 0x20 { return nil }
                i += 1
            }
            guard i < n else { return nil }
            let value = escaped ? nil : String(decoding: line[start..<i], as: UTF8.self)
            i += 1
            return (value, escaped)
        }
        /// Skips any JSON value, tracking nesting and strings.
        func skipValue() -> Bool {
            guard i < n else { return false }
            switch line[i] {
            case UInt8(ascii: "\""):
                return readString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < n {
                    switch line[i] {
                    case UInt8(ascii: "\""):
                        guard readString() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                while i < n, ![UInt8(ascii: ","), UInt8(ascii: "}")].contains(line[i]) { i += 1 }
                return true
            }
        }
        skipSpace()
        guard i < n, line[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipSpace()
            guard let (keyValue, _) = readString(), let key = keyValue else { return nil }
            skipSpace()
            guard i < n, line[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            switch key {
            case "seq", "v":
                var value = 0
                let start = i
                while i < n, line[i] >= 48, line[i] <= 57 {
                    let (times, o1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times.addingReportingOverflow(Int(line[i] - 48))
                    if o1 || o2 { return nil }
                    value = sum
                    i += 1
                }
                guard i > start else { return nil }
                if key == "seq" { result.seq = value } else { result.version = value }
            case "prev", "type", "actor", "stage", "time":
                guard let (value, escaped) = readString(), !escaped else { return nil }
                switch key {
                case "prev": result.prev = value
                case "type": result.type = value
                case "actor": result.actor = value
                case "stage": result.stage = value
                default: result.time = value
                }
            case "sig":
                guard readString() != nil else { return nil }
                result.hasSignature = true
            default:
                guard skipValue() else { return nil }
                if key == "data" { result.data = valueStart..<i }
                if key == "_sd" {
                    result.sd = valueStart..<i
                    result.sdIsEmpty = i - valueStart == 2
                }
            }
            skipSpace()
            guard i < n else { return nil }
            if line[i] == UInt8(ascii: ",") { i += 1; continue }
            if line[i] == UInt8(ascii: "}") {
                i += 1
                skipSpace()
                return i == n ? result : nil
            }
            return nil
        }
    }
}
