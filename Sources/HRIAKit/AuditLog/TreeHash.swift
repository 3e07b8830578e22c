#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif
import Crypto

/// One SHA-256 value of the Merkle tree (a leaf or an interior node), held inline in 32 bytes.
///
/// `verify` computes two of these per line of the log. Kept out of the heap, and hashed through BoringSSL's
/// one-shot functions where swift-crypto's copy is importable, a line costs the SHA-256 compression and little
/// else; through swift-crypto's `SHA256` type each hash would also allocate, copy and wipe a context object,
/// which for inputs of a few hundred bytes costs as much as the hashing. Both routes run the same BoringSSL code
/// and give identical bytes (the tests compare them); see docs/PERFORMANCE.md.
public struct TreeHash: Hashable, Sendable {
    /// The 32 bytes in memory order.
    var storage: SIMD4<UInt64>

    /// The hash whose bytes are all zero (a placeholder, never a real tree hash).
    public static let zero = TreeHash(storage: .zero)

    init(storage: SIMD4<UInt64>) {
        self.storage = storage
    }

    /// A hash from its 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Merkle.hashSize else { return nil }
        var storage = SIMD4<UInt64>.zero
        withUnsafeMutableBytes(of: &storage) { out in
            for (i, b) in bytes.enumerated() { out[i] = b }
        }
        self.storage = storage
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0) }
    }

    /// The RFC 6962 leaf hash `SHA-256(0x00 ‖ data)`.
    public static func leaf(_ data: UnsafeRawBufferPointer) -> TreeHash {
        var out = SIMD4<UInt64>.zero
        #if canImport(CCryptoBoringSSL)
        var context = SHA256_CTX()
        CCryptoBoringSSL_SHA256_Init(&context)
        var prefix: UInt8 = 0x00
        CCryptoBoringSSL_SHA256_Update(&context, &prefix, 1)
        if let base = data.baseAddress { CCryptoBoringSSL_SHA256_Update(&context, base, data.count) }
        withUnsafeMutableBytes(of: &out) { _ = CCryptoBoringSSL_SHA256_Final($0.baseAddress!.assumingMemoryBound(to: UInt8.self), &context) }
        #else
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: data)
        hasher.finalize().withUnsafeBytes { digest in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: digest) } }
        #endif
        return TreeHash(storage: out)
    }

    /// The RFC 6962 leaf hash of a line whose buffer already holds the 0x00 before it: `prefixed` is 0x00 ‖ line,
    /// hashed in one call.
    /// - Precondition: `prefixed` starts with 0x00.
    public static func leaf(prefixed: UnsafeRawBufferPointer) -> TreeHash {
        precondition(prefixed.first == 0x00, "a prefixed leaf starts with its zero byte")
        var out = SIMD4<UInt64>.zero
        #if canImport(CCryptoBoringSSL)
        withUnsafeMutableBytes(of: &out) {
            _ = CCryptoBoringSSL_SHA256(prefixed.baseAddress!.assumingMemoryBound(to: UInt8.self), prefixed.count,
                                        $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        #else
        SHA256.hash(bufferPointer: prefixed).withUnsafeBytes { digest in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: digest) } }
        #endif
        return TreeHash(storage: out)
    }

    /// The RFC 6962 interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
    public static func node(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        var out = SIMD4<UInt64>.zero
        #if canImport(CCryptoBoringSSL)
        // The 65-byte input is laid out on the stack and hashed in one call.
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { input in
            input[0] = 0x01
            withUnsafeBytes(of: left.storage) { UnsafeMutableRawBufferPointer(rebasing: input[1..<33]).copyMemory(from: $0) }
            withUnsafeBytes(of: right.storage) { UnsafeMutableRawBufferPointer(rebasing: input[33..<65]).copyMemory(from: $0) }
            withUnsafeMutableBytes(of: &out) {
                _ = CCryptoBoringSSL_SHA256(input.baseAddress!.assumingMemoryBound(to: UInt8.self), 65,
                                            $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        #else
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: left.storage) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: right.storage) { hasher.update(bufferPointer: $0) }
        hasher.finalize().withUnsafeBytes { digest in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: digest) } }
        #endif
        return TreeHash(storage: out)
    }

    /// Whether `hex` is exactly this hash in lowercase hexadecimal (how a line records `prev`).
    public func matchesHex(_ hex: UnsafeRawBufferPointer) -> Bool {
        guard hex.count == 2 * Merkle.hashSize, let base = hex.baseAddress else { return false }
        // Four bytes of the hash at a time become eight hex digits in one word, compared with eight bytes of the line.
        return withUnsafeBytes(of: storage) { raw in
            for i in 0..<8 {
                let word = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                if TreeHash.hexDigits(word) != UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) {
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
