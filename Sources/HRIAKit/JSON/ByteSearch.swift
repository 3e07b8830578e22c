/// Word-at-a-time searches over JSON bytes: strings make up most of a log line, so finding where one ends is what
/// reading every line in `verify` spends its time on.
enum ByteSearch {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")

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
            let quotes = word ^ (ones &* UInt64(ByteSearch.quote))
            let backslashes = word ^ (ones &* UInt64(ByteSearch.backslash))
            return ((quotes &- ones) | (backslashes &- ones) | (word &- ones &* 0x20)) & ~word & highs
        }, isStop: { $0 == ByteSearch.quote || $0 == ByteSearch.backslash || $0 < 0x20 })
    }

    /// The first index at or after `start` holding a quote or a bracket (`b.count` if none). Masking out bit 5
    /// folds `{` onto `[` and `}` onto `]`.
    @inline(__always)
    static func nextStructural(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        firstStop(b, from: start, stops: { word in
            let folded = word & 0xDFDF_DFDF_DFDF_DFDF
            let quotes = word ^ (ones &* UInt64(ByteSearch.quote))
            let opens = folded ^ (ones &* UInt64(ByteSearch.openBracket))
            let closes = folded ^ (ones &* UInt64(ByteSearch.closeBracket))
            return ((quotes &- ones) | (opens &- ones) | (closes &- ones)) & ~word & highs
        }, isStop: { $0 == ByteSearch.quote || $0 == ByteSearch.openBrace || $0 == ByteSearch.openBracket
            || $0 == ByteSearch.closeBrace || $0 == ByteSearch.closeBracket })
    }
}
