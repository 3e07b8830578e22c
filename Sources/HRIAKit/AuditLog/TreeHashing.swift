#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif
import Crypto

/// The Merkle tree's hashes (RFC 6962 §2.1), computed into `SHA256Hash` values.
///
/// `verify` computes two of these per line of the log. Kept out of the heap, and hashed through BoringSSL's
/// one-shot functions where swift-crypto's copy is importable, a line costs the SHA-256 compression and little
/// else; through swift-crypto's `SHA256` type each hash would also allocate, copy and wipe a context object,
/// which for inputs of a few hundred bytes costs as much as the hashing. Both routes run the same BoringSSL code
/// and give identical bytes (the tests compare them); see docs/PERFORMANCE.md.
extension SHA256Hash {
    /// The RFC 6962 leaf hash `SHA-256(0x00 ‖ data)`.
    public static func leaf(_ data: UnsafeRawBufferPointer) -> SHA256Hash {
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
        return SHA256Hash(storage: out)
    }

    /// The RFC 6962 leaf hash of a line whose buffer already holds the 0x00 before it: `prefixed` is 0x00 ‖ line,
    /// hashed in one call.
    /// - Precondition: `prefixed` starts with 0x00.
    public static func leaf(prefixed: UnsafeRawBufferPointer) -> SHA256Hash {
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
        return SHA256Hash(storage: out)
    }

    /// The RFC 6962 interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
    public static func node(_ left: SHA256Hash, _ right: SHA256Hash) -> SHA256Hash {
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
        return SHA256Hash(storage: out)
    }
}

extension SHA256Hash {
    /// The leaf hash of a line in lowercase hex: what the next line records as `prev`.
    public static func leafHex(_ line: some Collection<UInt8>) -> String {
        SHA256Hash(bytes: Merkle.leafHash(line))?.hex ?? ""
    }
}
