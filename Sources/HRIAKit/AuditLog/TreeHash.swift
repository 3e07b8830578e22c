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
        guard hex.count == 2 * Merkle.hashSize else { return false }
        return withUnsafeBytes(of: storage) { raw in
            for i in 0..<Merkle.hashSize {
                let b = raw[i]
                if hex[2 * i] != TreeHash.hexDigit(b >> 4) || hex[2 * i + 1] != TreeHash.hexDigit(b & 0x0f) { return false }
            }
            return true
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }
}
