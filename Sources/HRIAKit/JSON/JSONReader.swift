/// A cursor over JSON bytes, and the one reader of JSON in hria: the general parser (`JSONParser`) and the typed
/// event decoder (`EventLine`) both read through it, so a log line means the same to every command and to `verify`.
///
/// It accepts the subset the audit log allows: UTF-8 only (checked), integers only (no fractions or exponents,
/// no leading zeros, within `Int`), no duplicate keys (callers that read members by name check their own),
/// depth bounded by `maximumDepth`. Any other byte is a `JSONParseError` naming the offset.
///
/// Strings are found with the word-at-a-time search of the line scanner and, when they hold no escape (hria's
/// own lines never escape anything but quotes, backslashes and control characters), made in one copy after a
/// fast UTF-8 check; this is what keeps decoding every line cheap enough for `verify`.
struct JSONReader {
    let b: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    public internal(set) var offset: Int
    var depth = 0
    public static let maximumDepth = 64

    public init(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int = 0) {
        b = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset >= b.count }

    func error(_ message: String, at position: Int? = nil) -> JSONParseError {
        JSONParseError(offset: position ?? offset, message: message)
    }

    @inline(__always)
    public mutating func skipWhitespace() {
        while offset < b.count {
            let c = b[offset]
            guard c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D else { return }
            offset += 1
        }
    }

    /// The next non-space byte, without consuming it; nil at the end.
    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < b.count ? b[offset] : nil
    }

    @inline(__always)
    public mutating func expect(_ byte: UInt8, _ what: StaticString) throws(JSONParseError) {
        skipWhitespace()
        guard offset < b.count, b[offset] == byte else { throw error("expected \(what)") }
        offset += 1
    }

    /// Fails unless only whitespace is left.
    public mutating func expectEnd() throws(JSONParseError) {
        skipWhitespace()
        guard offset == b.count else { throw error("unexpected bytes after the JSON value") }
    }

    // MARK: - Scalars

    /// A string value.
    public mutating func string() throws(JSONParseError) -> String {
        skipWhitespace()
        guard offset < b.count, b[offset] == 0x22 else { throw error(offset < b.count ? "expected a string" : "unexpected end of input") }
        let (range, escaped) = try stringRange()
        if !escaped {
            guard let text = UTF8Check.string(UnsafeBufferPointer(rebasing: b[range])) else { throw error("invalid UTF-8", at: range.lowerBound) }
            return text
        }
        return try unescape(range)
    }

    /// Reads a string at the current quote: the range of its content and whether it holds an escape. Control
    /// characters are refused; the content's UTF-8 is not checked here.
    @inline(__always)
    mutating func stringRange() throws(JSONParseError) -> (Range<Int>, Bool) {
        let start = offset + 1
        var i = start
        var escaped = false
        while true {
            i = ByteSearch.nextStringStop(b, from: i)
            guard i < b.count else { throw error("unterminated string", at: start - 1) }
            let c = b[i]
            if c == 0x22 {
                offset = i + 1
                return (start..<i, escaped)
            }
            guard c == 0x5C else { throw error("control character in string", at: i) }
            escaped = true
            // The escape's own validity is checked when the string is decoded; skip its first character so an
            // escaped quote does not end the string.
            guard i + 1 < b.count else { throw error("unterminated escape", at: i) }
            i += 2
        }
    }

    /// Decodes a string whose content holds escapes.
    mutating func unescape(_ range: Range<Int>) throws(JSONParseError) -> String {
        var scalars = String.UnicodeScalarView()
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = b[i]
            if byte == 0x5C {
                let escaped = b[i + 1]
                i += 2
                switch escaped {
                case 0x22: scalars.append("\"")
                case 0x5C: scalars.append("\\")
                case 0x2F: scalars.append("/")
                case 0x62: scalars.append("\u{08}")
                case 0x66: scalars.append("\u{0C}")
                case 0x6E: scalars.append("\n")
                case 0x72: scalars.append("\r")
                case 0x74: scalars.append("\t")
                case 0x75:
                    var code = try hex4(at: i, end: range.upperBound)
                    i += 4
                    if (0xD800...0xDBFF).contains(code) {
                        guard i + 1 < range.upperBound, b[i] == 0x5C, b[i + 1] == 0x75 else { throw error("lone surrogate", at: i) }
                        let low = try hex4(at: i + 2, end: range.upperBound)
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("bad surrogate pair", at: i) }
                        i += 6
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid unicode escape", at: i - 4) }
                    scalars.append(scalar)
                default:
                    throw error("unknown escape", at: i - 1)
                }
                continue
            }
            if byte < 0x80 {
                scalars.append(Unicode.Scalar(byte))
                i += 1
                continue
            }
            guard let (scalar, width) = UTF8Check.decode(b, at: i, end: range.upperBound) else { throw error("invalid UTF-8", at: i) }
            scalars.append(scalar)
            i += width
        }
        return String(scalars)
    }

    func hex4(at i: Int, end: Int) throws(JSONParseError) -> UInt32 {
        guard i + 4 <= end else { throw error("expected four hex digits", at: i) }
        var value: UInt32 = 0
        for j in i..<(i + 4) {
            let c = b[j]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: throw error("expected four hex digits", at: i)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// A whole number.
    public mutating func int() throws(JSONParseError) -> Int {
        skipWhitespace()
        let start = offset
        var negative = false
        if offset < b.count, b[offset] == 0x2D {
            negative = true
            offset += 1
        }
        guard offset < b.count, b[offset] >= 0x30, b[offset] <= 0x39 else {
            throw error(offset < b.count ? (negative ? "expected a digit" : "expected a number") : "unexpected end of input")
        }
        if b[offset] == 0x30, offset + 1 < b.count, b[offset + 1] >= 0x30, b[offset + 1] <= 0x39 {
            throw error("numbers may not have leading zeros")
        }
        // Accumulate negatively, so Int.min is in range.
        var value = 0
        while offset < b.count, b[offset] >= 0x30, b[offset] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.subtractingReportingOverflow(Int(b[offset] - 0x30))
            guard !o1, !o2 else { throw error("number out of range", at: start) }
            value = sum
            offset += 1
        }
        if offset < b.count, b[offset] == 0x2E || b[offset] == 0x65 || b[offset] == 0x45 {
            throw error("only whole numbers are allowed")
        }
        if negative { return value }
        guard value != Int.min else { throw error("number out of range", at: start) }
        return -value
    }

    public mutating func bool() throws(JSONParseError) -> Bool {
        skipWhitespace()
        if literal("true") { return true }
        if literal("false") { return false }
        throw error("expected true or false")
    }

    /// Whether the next byte is a digit (no whitespace skipped).
    var peekDigit: Bool { offset < b.count && b[offset] >= 0x30 && b[offset] <= 0x39 }

    /// Consumes `word` if the bytes here spell it.
    @inline(__always)
    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= b.count, let base = b.baseAddress else { return false }
        let here = UnsafeRawPointer(base + offset), expected = UnsafeRawPointer(word.utf8Start)
        // Literals are short: two overlapping word loads compare them without a loop where they fit.
        let same: Bool
        switch count {
        case 8...16:
            same = here.loadUnaligned(as: UInt64.self) == expected.loadUnaligned(as: UInt64.self)
                && here.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == expected.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        case 4..<8:
            same = here.loadUnaligned(as: UInt32.self) == expected.loadUnaligned(as: UInt32.self)
                && here.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) == expected.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        default:
            same = (0..<count).allSatisfy { b[offset + $0] == word.utf8Start[$0] }
        }
        guard same else { return false }
        offset += count
        return true
    }

    // MARK: - Containers

    /// Reads an object, handing each member's key to `member`, which must read the value. Keys are compared
    /// with `JSONKey` without making strings. Depth is bounded; duplicate keys are the caller's to refuse.
    @inline(__always)
    public mutating func object(_ member: (inout JSONReader, JSONKey) throws(JSONParseError) -> Void) throws(JSONParseError) {
        try expect(0x7B, "{")
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
        defer { depth -= 1 }
        if peek() == 0x7D {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            guard offset < b.count, b[offset] == 0x22 else { throw error(offset < b.count ? "expected a key" : "unterminated object") }
            let keyStart = offset
            // A key's UTF-8 is checked only where it is kept as text (`members`): a key that equals an expected name
            // is ASCII, and any other is refused by the typed readers.
            let (range, escaped) = try stringRange()
            let key = JSONKey(bytes: UnsafeBufferPointer(rebasing: b[range]), escaped: escaped,
                              quoted: UnsafeBufferPointer(rebasing: b[keyStart..<(range.upperBound + 1)]), offset: keyStart)
            if escaped { _ = try key.unescaped() }
            try expect(0x3A, ":")
            try member(&self, key)
            skipWhitespace()
            guard offset < b.count else { throw error("unterminated object") }
            if b[offset] == 0x2C {
                offset += 1
                continue
            }
            if b[offset] == 0x7D {
                offset += 1
                return
            }
            throw error("expected , or }")
        }
    }

    /// Starts reading an object member by member, without closures: `while let key = try r.nextKey(&first) { … }`,
    /// where each turn reads the member's value. `first` starts true.
    @inline(__always)
    public mutating func beginObject() throws(JSONParseError) {
        try expect(0x7B, "{")
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
    }

    /// The next member's key (the value is the caller's to read), or nil once the object has ended.
    @inline(__always)
    public mutating func nextKey(_ first: inout Bool) throws(JSONParseError) -> JSONKey? {
        skipWhitespace()
        guard offset < b.count else { throw error("unterminated object") }
        if first {
            first = false
            if b[offset] == 0x7D {
                offset += 1
                depth -= 1
                return nil
            }
        } else {
            if b[offset] == 0x7D {
                offset += 1
                depth -= 1
                return nil
            }
            guard b[offset] == 0x2C else { throw error("expected , or }") }
            offset += 1
            skipWhitespace()
        }
        guard offset < b.count, b[offset] == 0x22 else { throw error(offset < b.count ? "expected a key" : "unterminated object") }
        let keyStart = offset
        let (range, escaped) = try stringRange()
        let key = JSONKey(bytes: UnsafeBufferPointer(rebasing: b[range]), escaped: escaped,
                          quoted: UnsafeBufferPointer(rebasing: b[keyStart..<(range.upperBound + 1)]), offset: keyStart)
        if escaped { _ = try key.unescaped() }
        try expect(0x3A, ":")
        return key
    }

    /// Reads an array, calling `element` for each item, which must read it.
    @inline(__always)
    public mutating func array(_ element: (inout JSONReader) throws(JSONParseError) -> Void) throws(JSONParseError) {
        try expect(0x5B, "[")
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
        defer { depth -= 1 }
        if peek() == 0x5D {
            offset += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard offset < b.count else { throw error("unterminated array") }
            if b[offset] == 0x2C {
                offset += 1
                continue
            }
            if b[offset] == 0x5D {
                offset += 1
                return
            }
            throw error("expected , or ]")
        }
    }

    /// An array of strings.
    public mutating func strings() throws(JSONParseError) -> [String] {
        try expect(0x5B, "[")
        var result: [String] = []
        if peek() == 0x5D {
            offset += 1
            return result
        }
        while true {
            result.append(try string())
            skipWhitespace()
            guard offset < b.count else { throw error("unterminated array") }
            if b[offset] == 0x2C {
                offset += 1
                continue
            }
            if b[offset] == 0x5D {
                offset += 1
                return result
            }
            throw error("expected , or ]")
        }
    }

    /// An object of any values, by key; a repeated key is an error.
    public mutating func members() throws(JSONParseError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        try object { (r: inout JSONReader, key: JSONKey) throws(JSONParseError) in
            let name = try key.text()
            let value = try r.value()
            guard result.updateValue(value, forKey: name) == nil else { throw r.error("duplicate key \"\(name)\"", at: key.offset) }
        }
        return result
    }

    /// Any value.
    public mutating func value() throws(JSONParseError) -> JSONValue {
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case 0x7B: return .object(try members())
        case 0x5B:
            var items: [JSONValue] = []
            try array { (r: inout JSONReader) throws(JSONParseError) in items.append(try r.value()) }
            return .array(items)
        case 0x22: return .string(try string())
        case 0x74, 0x66: return .bool(try bool())
        case 0x6E:
            guard literal("null") else { throw error("expected null") }
            return .null
        case 0x2D, 0x30...0x39: return .int(try int())
        default: throw error("unexpected character")
        }
    }

    /// Skips any value, checking it as `value()` would, without building it.
    public mutating func skipValue() throws(JSONParseError) {
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case 0x7B:
            var seen = Set<String>()
            try object { (r: inout JSONReader, key: JSONKey) throws(JSONParseError) in
                guard seen.insert(try key.text()).inserted else { throw r.error("duplicate key \"\(key.string)\"", at: key.offset) }
                try r.skipValue()
            }
        case 0x5B: try array { (r: inout JSONReader) throws(JSONParseError) in try r.skipValue() }
        case 0x22: _ = try string()
        default: _ = try value()
        }
    }
}

/// An object's key as read: compared with expected names without making a string. A plain value type (no
/// references), so passing it to each member costs nothing.
struct JSONKey {
    /// The key's bytes between the quotes, escapes not yet decoded.
    let bytes: UnsafeBufferPointer<UInt8>
    /// Whether the key holds an escape; such a key equals no expected name (hria writes none) and is decoded
    /// only to be named in a message or used as a map key.
    let escaped: Bool
    /// The key with its quotes.
    let quoted: UnsafeBufferPointer<UInt8>
    /// Where the key starts (its opening quote), for messages.
    public let offset: Int

    @inline(__always)
    public static func == (key: JSONKey, name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard !key.escaped, key.bytes.count == count else { return false }
        let expected = name.utf8Start
        for k in 0..<count where key.bytes[k] != expected[k] { return false }
        return true
    }

    var byteCount: Int { bytes.count }

    /// The key as text.
    public var string: String {
        escaped ? ((try? unescaped()) ?? "") : String(decoding: bytes, as: UTF8.self)
    }

    /// The key as text, refusing invalid UTF-8.
    func text() throws(JSONParseError) -> String {
        if escaped { return try unescaped() }
        guard UTF8Check.isValid(bytes) else { throw JSONParseError(offset: offset + 1, message: "invalid UTF-8") }
        return String(decoding: bytes, as: UTF8.self)
    }

    func unescaped() throws(JSONParseError) -> String {
        var reader = JSONReader(quoted)
        do throws(JSONParseError) {
            return try reader.string()
        } catch {
            throw JSONParseError(offset: offset + error.offset, message: error.message)
        }
    }
}

/// Strict UTF-8 checks (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), eight ASCII bytes at a
/// time where it can.
enum UTF8Check {
    /// The text the bytes spell, or nil when they are not UTF-8. (The standard library's `String(validating:)`
    /// was slower here than this check followed by a copy.)
    @inline(__always)
    static func string(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        isValid(b) ? String(decoding: b, as: UTF8.self) : nil
    }

    static func isValid(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if let base = b.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i &+ 8 <= b.count {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 8
            }
        }
        while i < b.count {
            if b[i] < 0x80 {
                i += 1
                continue
            }
            guard let (_, width) = decode(b, at: i, end: b.count) else { return false }
            i += width
        }
        return true
    }

    /// One multi-byte sequence starting at `i` (whose first byte is not ASCII): the scalar and its width.
    @inline(__always)
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        func continuation(_ k: Int) -> UInt32? {
            guard i + k < end, b[i + k] & 0xC0 == 0x80 else { return nil }
            return UInt32(b[i + k] & 0x3F)
        }
        switch lead {
        case 0xC2...0xDF:
            guard let c1 = continuation(1) else { return nil }
            return Unicode.Scalar(UInt32(lead & 0x1F) << 6 | c1).map { ($0, 2) }
        case 0xE0...0xEF:
            guard let c1 = continuation(1), let c2 = continuation(2) else { return nil }
            let value = UInt32(lead & 0x0F) << 12 | c1 << 6 | c2
            // Overlong forms and UTF-16 surrogates are not UTF-8.
            guard value >= 0x800, !(0xD800...0xDFFF).contains(value) else { return nil }
            return Unicode.Scalar(value).map { ($0, 3) }
        case 0xF0...0xF4:
            guard let c1 = continuation(1), let c2 = continuation(2), let c3 = continuation(3) else { return nil }
            let value = UInt32(lead & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            guard value >= 0x10000, value <= 0x10FFFF else { return nil }
            return Unicode.Scalar(value).map { ($0, 4) }
        default:
            return nil
        }
    }
}
