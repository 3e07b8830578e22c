/// One SHA-256 value held inline in 32 bytes: a Merkle leaf or node, a line's `prev`, a file digest. Kept out of
/// the heap because `verify` handles two per line of the log.
public struct SHA256Hash: Hashable, Sendable {
    /// The 32 bytes in memory order.
    var storage: SIMD4<UInt64>

    /// The hash whose bytes are all zero: the `prev` of the first event, never a real hash.
    public static let zero = SHA256Hash(storage: .zero)

    public static let byteCount = 32

    init(storage: SIMD4<UInt64>) {
        self.storage = storage
    }

    /// A hash from its 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var storage = SIMD4<UInt64>.zero
        withUnsafeMutableBytes(of: &storage) { out in
            for (i, b) in bytes.enumerated() { out[i] = b }
        }
        self.storage = storage
    }

    /// A hash from 64 lowercase hexadecimal digits; nil for anything else (upper case included: hria writes only
    /// lower case, and one spelling per value keeps comparisons exact).
    public init?(hex: some Collection<UInt8>) {
        guard let hash = Array(hex).withUnsafeBufferPointer({ SHA256Hash(hex: $0) }) else { return nil }
        self = hash
    }

    /// The same, in place: every line's `prev` is read this way, eight digits at a time.
    public init?(hex: UnsafeBufferPointer<UInt8>) {
        guard hex.count == 2 * Self.byteCount, let base = hex.baseAddress else { return nil }
        var storage = SIMD4<UInt64>.zero
        let raw = UnsafeRawPointer(base)
        var valid = true
        withUnsafeMutableBytes(of: &storage) { out in
            for i in 0..<8 {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                guard let bytes = SHA256Hash.hexValue(word) else {
                    valid = false
                    return
                }
                out.storeBytes(of: bytes.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        guard valid else { return nil }
        self.storage = storage
    }

    /// Eight lowercase hex digits (first digit in the word's lowest byte) as four bytes (first byte lowest); nil if
    /// any byte is not a lowercase hex digit. The inverse of `hexDigits`.
    @inline(__always)
    static func hexValue(_ x: UInt64) -> UInt32? {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        guard x & highs == 0 else { return nil }
        // With every high bit clear, (x | 0x80) − m keeps its high bit exactly where x ≥ m, and (n | 0x80) − x
        // exactly where x ≤ n, with no borrow between bytes.
        func within(_ m: UInt64, _ n: UInt64) -> UInt64 { ((x | highs) &- m &* ones) & ((n &* ones | highs) &- x) & highs }
        guard within(0x30, 0x39) | within(0x61, 0x66) == highs else { return nil }
        // '0'…'9' are 0x30…0x39 and 'a'…'f' 0x61…0x66: the low nibble, plus 9 where bit 6 marks a letter.
        let values = (x & 0x0F0F_0F0F_0F0F_0F0F) &+ ((x >> 6) & ones) &* 9
        var lanes = ((values & 0x0F00_0F00_0F00_0F00) >> 8) | ((values & 0x000F_000F_000F_000F) << 4)
        lanes = (lanes | (lanes >> 8)) & 0x0000_FFFF_0000_FFFF
        lanes = (lanes | (lanes >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: lanes)
    }

    public init?(hex: String) {
        var text = hex
        guard let hash = text.withUTF8({ SHA256Hash(hex: $0) }) else { return nil }
        self = hash
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0) }
    }

    /// Lowercase hexadecimal, as lines record `prev`.
    public var hex: String {
        var out = [UInt8](repeating: 0, count: 2 * Self.byteCount)
        withUnsafeBytes(of: storage) { raw in
            out.withUnsafeMutableBytes { digits in
                for i in 0..<8 {
                    let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    digits.storeBytes(of: SHA256Hash.hexDigits(word).littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard base64, as checkpoints and proofs write a root.
    public var base64: String { Base64.standard.encode(bytes) }

    /// A hash from its standard base64 (the one spelling of 32 bytes); nil for anything else.
    public init?(base64: String) {
        guard let bytes = Base64.standard.decode(base64, strict: true) else { return nil }
        self.init(bytes: bytes)
    }

    /// Whether `hex` is exactly this hash in lowercase hexadecimal (how a line records `prev`).
    public func matchesHex(_ hex: UnsafeRawBufferPointer) -> Bool {
        guard hex.count == 2 * Self.byteCount, let base = hex.baseAddress else { return false }
        // Four bytes of the hash at a time become eight hex digits in one word, compared with eight bytes of the line.
        return withUnsafeBytes(of: storage) { raw in
            for i in 0..<8 {
                let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                if SHA256Hash.hexDigits(word) != UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) {
                    return false
                }
            }
            return true
        }
    }

    /// The lowercase hex digits of four bytes (first byte first), as eight ASCII bytes of a little-endian word.
    @inline(__always)
    static func hexDigits(_ bytes: UInt32) -> UInt64 {
        // Each byte into its own 16-bit lane, then its high nibble into the lane's low byte and its low nibble
        // into the high byte: digit order.
        var lanes = UInt64(bytes)
        lanes = (lanes | (lanes << 16)) & 0x0000_FFFF_0000_FFFF
        lanes = (lanes | (lanes << 8)) & 0x00FF_00FF_00FF_00FF
        let nibbles = ((lanes >> 4) & 0x000F_000F_000F_000F) | ((lanes & 0x000F_000F_000F_000F) << 8)
        // '0' + n, plus 'a' − '0' − 10 = 0x27 where n ≥ 10 (n + 6 carries into bit 4 exactly then).
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) & 0x1010_1010_1010_1010) >> 4
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }
}

extension SHA256Hash: Codable {
    /// Kept in caches as lowercase hex.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = SHA256Hash(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 hash in hex"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
