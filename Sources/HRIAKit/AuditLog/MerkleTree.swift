import Crypto

/// RFC 6962 / RFC 9162 Merkle tree hashing and proofs over an assessment log's leaf hashes.
///
/// The tree is the one Certificate Transparency, Go's checksum database (`golang.org/x/mod/sumdb/tlog`) and
/// transparency-dev/merkle use, so a log written by hria can be checked with their tools and their published
/// test vectors. Hashes are plain `[UInt8]` of 32 bytes; anything else handed to a verifier is rejected.
public enum Merkle {
    /// The size in bytes of every hash in the tree (SHA-256).
    public static let hashSize = 32

    /// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1, `MTH({})`).
    public static let emptyRoot: [UInt8] = sha256(prefix: nil, [], [])
    /// The Merkle Tree Hash of these leaves as the hash type hria holds roots in (`root(leafHashes:)` in bytes).
    public static func rootHash(leafHashes: [[UInt8]]) -> SHA256Hash { SHA256Hash(bytes: root(leafHashes: leafHashes)) ?? .zero }

    /// The empty tree's root, as the hash type hria holds roots in.
    public static let emptyTreeRoot = SHA256Hash(bytes: emptyRoot) ?? .zero

    /// The hash of one leaf, `SHA-256(0x00 ‖ data)`.
    ///
    /// The 0x00 prefix keeps a leaf from being passed off as an interior node (second-preimage protection).
    public static func leafHash(_ data: some Collection<UInt8>) -> [UInt8] {
        let hash = data.withContiguousStorageIfAvailable { SHA256Hash.leaf(UnsafeRawBufferPointer($0)) }
            // Only non-contiguous collections (e.g. lazy views) take this copy.
            ?? Array(data).withUnsafeBytes { SHA256Hash.leaf($0) }
        return hash.bytes
    }

    /// The hash of an interior node, `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        if let l = SHA256Hash(bytes: left), let r = SHA256Hash(bytes: right) { return SHA256Hash.node(l, r).bytes }
        // Only a malformed proof element (not 32 bytes) comes here; it can never verify, but hash it as given.
        return sha256(prefix: 0x01, left, right)
    }

    /// The Merkle Tree Hash of a list of leaf hashes (RFC 6962 §2.1 `MTH`).
    ///
    /// For n > 1 the list is split at k, the largest power of two smaller than n, and the two halves are hashed
    /// recursively; n − 1 node hashes in all.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        subtreeRoot(leafHashes[...])
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of all `leafHashes` (RFC 9162 §2.1.3.1
    /// `PATH`), ordered from the leaf's sibling up to the child of the root.
    ///
    /// Costs at most n − 1 node hashes: the sibling subtrees on the path are disjoint.
    /// - Precondition: `0 <= index < leafHashes.count`.
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        precondition(index >= 0 && index < leafHashes.count, "leaf index \(index) is outside a tree of \(leafHashes.count) leaves")
        var proof: [[UInt8]] = []
        appendPath(index, leafHashes[...], to: &proof)
        return proof
    }

    /// The consistency proof that the tree of the first `oldSize` leaves is a prefix of the tree of all
    /// `leafHashes` (RFC 9162 §2.1.4.1 `PROOF` / `SUBPROOF`).
    ///
    /// Empty when `oldSize` equals the number of leaves (nothing to prove) or is 0 (a proof from the empty tree
    /// says nothing, and `verifyConsistency` rejects it). Costs at most n − 1 node hashes.
    /// - Precondition: `0 <= oldSize <= leafHashes.count`.
    public static func consistencyProof(oldSize: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        precondition(oldSize >= 0 && oldSize <= leafHashes.count,
                     "old size \(oldSize) is outside a tree of \(leafHashes.count) leaves")
        guard oldSize > 0 else { return [] }
        var proof: [[UInt8]] = []
        appendSubproof(oldSize, leafHashes[...], complete: true, to: &proof)
        return proof
    }

    /// Whether an inclusion proof holds (RFC 9162 §2.1.3.2); `checkInclusion` says why not.
    public static func verifyInclusion(index: Int, size: Int, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]) -> Bool {
        (try? checkInclusion(index: index, size: size, leafHash: leafHash, proof: proof, root: root)) != nil
    }

    /// Checks an inclusion proof exactly as RFC 9162 §2.1.3.2 describes, saying why it fails: an index outside the
    /// tree, a hash that is not 32 bytes, a proof of the wrong length for the index and size (checked first, as
    /// transparency-dev/merkle does), or a root that does not match.
    public static func checkInclusion(index: Int, size: Int, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]) throws(MerkleProofError) {
        guard size > 0, index >= 0, index < size else { throw .indexOutOfRange(index: index, size: size) }
        try checkLengths(["leaf hash": leafHash, "root": root], proof)
        let (inner, border) = decomposition(index: UInt64(index), size: UInt64(size))
        guard proof.count == inner + border else { throw .wrongProofLength(got: proof.count, want: inner + border) }
        var fn = UInt64(index)
        var sn = UInt64(size - 1)
        var r = leafHash
        for p in proof {
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard r == root else { throw .rootMismatch(calculated: r, expected: root) }
    }

    /// Whether a consistency proof holds (RFC 9162 §2.1.4.2); `checkConsistency` says why not.
    public static func verifyConsistency(oldSize: Int, newSize: Int, oldRoot: [UInt8], newRoot: [UInt8],
                                         proof: [[UInt8]]) -> Bool {
        (try? checkConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)) != nil
    }

    /// Checks a consistency proof exactly as RFC 9162 §2.1.4.2 describes, with the boundary rules of the
    /// transparency-dev/merkle reference verifier and its published vectors, saying why it fails:
    ///
    /// - `oldSize > newSize`, negative sizes, and `oldSize == 0` are refused (a proof from the empty tree
    ///   proves nothing);
    /// - `oldSize == newSize` holds exactly when the proof is empty and the two roots are byte-for-byte equal
    ///   (the vectors accept this case whatever the roots' length, since it is a plain comparison);
    /// - otherwise the roots and every proof element must be 32 bytes and the proof exactly as long as the sizes
    ///   call for.
    public static func checkConsistency(oldSize: Int, newSize: Int, oldRoot: [UInt8], newRoot: [UInt8],
                                        proof: [[UInt8]]) throws(MerkleProofError) {
        guard oldSize >= 0, newSize >= 0, oldSize <= newSize else { throw .sizesOutOfOrder(old: oldSize, new: newSize) }
        guard oldSize > 0 else { throw .fromEmptyTree }
        if oldSize == newSize {
            guard proof.isEmpty else { throw .wrongProofLength(got: proof.count, want: 0) }
            guard oldRoot == newRoot else { throw .rootMismatch(calculated: oldRoot, expected: newRoot) }
            return
        }
        try checkLengths(["old root": oldRoot, "new root": newRoot], proof)
        // The proof includes the root of the complete subtree of size 2^shift, unless the old tree is that subtree.
        var (inner, border) = decomposition(index: UInt64(oldSize - 1), size: UInt64(newSize))
        let shift = UInt64(oldSize).trailingZeroBitCount
        inner -= shift
        let oldIsSubtree = oldSize & (oldSize - 1) == 0
        let want = (oldIsSubtree ? 0 : 1) + inner + border
        guard proof.count == want else { throw .wrongProofLength(got: proof.count, want: want) }
        var path = proof
        if oldIsSubtree { path.insert(oldRoot, at: 0) }
        var fn = UInt64(oldSize - 1)
        var sn = UInt64(newSize - 1)
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard fr == oldRoot else { throw .rootMismatch(calculated: fr, expected: oldRoot) }
        guard sr == newRoot else { throw .rootMismatch(calculated: sr, expected: newRoot) }
    }

    /// How many proof hashes sit below the point where the paths to `index` and to the last leaf part (inner),
    /// and how many above it (border): the length of an inclusion proof is their sum.
    private static func decomposition(index: UInt64, size: UInt64) -> (inner: Int, border: Int) {
        let inner = UInt64.bitWidth - (index ^ (size - 1)).leadingZeroBitCount
        return (inner, (index >> UInt64(inner)).nonzeroBitCount)
    }

    private static func checkLengths(_ named: KeyValuePairs<String, [UInt8]>, _ proof: [[UInt8]]) throws(MerkleProofError) {
        for (name, hash) in named where hash.count != hashSize { throw .notAHash(name, count: hash.count) }
        if let (i, bad) = proof.enumerated().first(where: { $0.element.count != hashSize }) {
            throw .notAHash("proof hash \(i + 1)", count: bad.count)
        }
    }

    // MARK: Internals

    /// The largest power of two strictly smaller than `n` (n ≥ 2): RFC 6962's split point.
    static func splitPoint(_ n: Int) -> Int {
        1 << (Int.bitWidth - (n - 1).leadingZeroBitCount - 1)
    }

    static func subtreeRoot(_ hashes: ArraySlice<[UInt8]>) -> [UInt8] {
        switch hashes.count {
        case 0: return emptyRoot
        case 1: return hashes[hashes.startIndex]
        default:
            let k = splitPoint(hashes.count)
            return nodeHash(subtreeRoot(hashes.prefix(k)), subtreeRoot(hashes.dropFirst(k)))
        }
    }

    /// `PATH(m, D[n])`; the deeper part of the path comes first, so recurse before appending the sibling.
    private static func appendPath(_ m: Int, _ hashes: ArraySlice<[UInt8]>, to proof: inout [[UInt8]]) {
        let n = hashes.count
        guard n > 1 else { return }
        let k = splitPoint(n)
        if m < k {
            appendPath(m, hashes.prefix(k), to: &proof)
            proof.append(subtreeRoot(hashes.dropFirst(k)))
        } else {
            appendPath(m - k, hashes.dropFirst(k), to: &proof)
            proof.append(subtreeRoot(hashes.prefix(k)))
        }
    }

    /// `SUBPROOF(m, D[n], b)`; `complete` is the RFC's flag b: whether the old tree's own root is already known
    /// to the verifier and may be left out.
    private static func appendSubproof(_ m: Int, _ hashes: ArraySlice<[UInt8]>, complete: Bool, to proof: inout [[UInt8]]) {
        let n = hashes.count
        if m == n {
            if !complete { proof.append(subtreeRoot(hashes)) }
            return
        }
        let k = splitPoint(n)
        if m <= k {
            appendSubproof(m, hashes.prefix(k), complete: complete, to: &proof)
            proof.append(subtreeRoot(hashes.dropFirst(k)))
        } else {
            appendSubproof(m - k, hashes.dropFirst(k), complete: false, to: &proof)
            proof.append(subtreeRoot(hashes.prefix(k)))
        }
    }

    private static func sha256(prefix: UInt8?, _ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        if let prefix { withUnsafeBytes(of: prefix) { hasher.update(bufferPointer: $0) } }
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}

/// Streaming Merkle root over leaf hashes appended one at a time, in O(log n) memory.
///
/// Keeps the roots of the perfect subtrees that make up the tree so far (a "compact range"), one per set bit of
/// `size`, largest first; `root()` folds them from the right, which gives exactly `Merkle.root(leafHashes:)`.
/// This lets `verify` hash a large log line by line without holding every leaf hash.
public struct MerkleAccumulator: Sendable, Equatable, Codable {
    /// Roots of the perfect subtrees, largest (leftmost) first; `heights[i]` is log2 of subtree i's leaf count.
    private var subtrees: [SHA256Hash] = []
    private var heights: [Int] = []

    /// The number of leaves appended so far.
    public private(set) var size: Int = 0

    /// An accumulator for the empty tree.
    public init() {}

    private enum CodingKeys: String, CodingKey { case subtrees, heights, size }

    /// Reads a saved accumulator, refusing one whose parts disagree: a damaged cache must neither yield a wrong
    /// root nor crash the next `append`. The heights must be exactly the set bits of `size`, highest first, with
    /// one 32-byte hash each, as `append` leaves them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let subtrees = try container.decode([[UInt8]].self, forKey: .subtrees)
        let heights = try container.decode([Int].self, forKey: .heights)
        let size = try container.decode(Int.self, forKey: .size)
        let expectedHeights = size < 0 ? nil : (0..<Int.bitWidth).reversed().filter { size >> $0 & 1 == 1 }
        let hashes = subtrees.compactMap { SHA256Hash(bytes: $0) }
        guard heights == expectedHeights, subtrees.count == heights.count, hashes.count == subtrees.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "inconsistent saved Merkle accumulator"))
        }
        self.subtrees = hashes
        self.heights = heights
        self.size = size
    }

    /// Saves the accumulator in the same shape it is read back from.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subtrees.map(\.bytes), forKey: .subtrees)
        try container.encode(heights, forKey: .heights)
        try container.encode(size, forKey: .size)
    }

    /// Appends the next leaf (its `Merkle.leafHash`, not its data).
    /// - Precondition: `leafHash` is 32 bytes.
    public mutating func append(leafHash: [UInt8]) {
        guard let leaf = SHA256Hash(bytes: leafHash) else { preconditionFailure("a leaf hash is 32 bytes, not \(leafHash.count)") }
        append(leaf)
    }

    /// Appends the next leaf hash.
    public mutating func append(_ leaf: SHA256Hash) {
        append(subtree: leaf, height: 0)
    }

    /// Appends a whole perfect subtree of 2^height leaves whose root is `subtree`.
    /// - Precondition: the tree's size is a multiple of 2^height, so the subtree sits where RFC 6962 puts it.
    mutating func append(subtree: SHA256Hash, height: Int) {
        precondition(size & ((1 << height) - 1) == 0, "a subtree of height \(height) cannot start at leaf \(size)")
        var hash = subtree
        var height = height
        let added = 1 << height
        // Two perfect subtrees of equal height merge into one, like a carry in binary addition.
        while let last = heights.last, last == height {
            hash = SHA256Hash.node(subtrees.removeLast(), hash)
            heights.removeLast()
            height += 1
        }
        subtrees.append(hash)
        heights.append(height)
        size += added
    }

    /// Appends every leaf of a range built elsewhere (another thread), as if appended one by one.
    /// - Precondition: the range starts at this tree's size.
    mutating func append(_ range: MerkleRange) {
        precondition(range.start == size, "a range starting at leaf \(range.start) cannot follow a tree of \(size) leaves")
        for (hash, height) in range.subtrees { append(subtree: hash, height: height) }
    }

    /// The Merkle Tree Hash of the leaves appended so far (`Merkle.emptyTreeRoot` when there are none).
    public func root() -> SHA256Hash {
        rootHash() ?? Merkle.emptyTreeRoot
    }

    /// The root as a `SHA256Hash`; nil for the empty tree, whose root is not a node or a leaf.
    func rootHash() -> SHA256Hash? {
        guard var hash = subtrees.last else { return nil }
        for subtree in subtrees.dropLast().reversed() {
            hash = SHA256Hash.node(subtree, hash)
        }
        return hash
    }
}

/// The perfect subtrees that cover the leaves `start..<end` of a larger tree, each where RFC 6962 places it.
///
/// `verify` hands each thread a run of consecutive lines; the thread hashes them into a range, and the ranges
/// are appended to the tree in order. The result is the same tree, hashed on several cores.
struct MerkleRange: Sendable {
    /// The index of the first leaf.
    let start: Int
    /// One past the index of the last leaf.
    private(set) var end: Int
    /// The subtrees, leftmost first, with log2 of their leaf counts.
    private(set) var subtrees: [(hash: SHA256Hash, height: Int)] = []

    init(start: Int) {
        self.start = start
        self.end = start
    }

    /// Appends the leaf at index `end`.
    mutating func append(_ leaf: SHA256Hash) {
        var hash = leaf
        var height = 0
        var first = end
        // The last subtree, covering [first − 2^height, first), merges with the new one only if together they
        // make a subtree aligned on its own size; otherwise the merged node belongs to a tree that starts earlier.
        while let last = subtrees.last, last.height == height, (first - (1 << height)) & ((2 << height) - 1) == 0 {
            hash = SHA256Hash.node(last.hash, hash)
            subtrees.removeLast()
            first -= 1 << height
            height += 1
        }
        subtrees.append((hash, height))
        end += 1
    }
}

/// Why a Merkle proof does not hold, in words for a person checking a published record.
public enum MerkleProofError: Error, Sendable, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: Int, size: Int)
    case sizesOutOfOrder(old: Int, new: Int)
    case fromEmptyTree
    case notAHash(String, count: Int)
    case wrongProofLength(got: Int, want: Int)
    case rootMismatch(calculated: [UInt8], expected: [UInt8])

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let size): "index \(index) is outside a tree of \(size) entries"
        case .sizesOutOfOrder(let old, let new): "a tree of \(old) entries cannot be an earlier state of one of \(new)"
        case .fromEmptyTree: "a proof from the empty tree proves nothing"
        case .notAHash(let what, let count): "the \(what) is \(count) bytes, not a 32-byte SHA-256 hash"
        case .wrongProofLength(let got, let want): "the proof has \(got) hash\(got == 1 ? "" : "es"), and these sizes need \(want)"
        case .rootMismatch(let calculated, let expected):
            "the proof leads to root \(Base64.standard.encode(calculated)), not \(Base64.standard.encode(expected))"
        }
    }
}
