import Crypto
import Foundation
import Testing
@testable import HRIAKit
import HRIATestSupport

/// The RFC 6962 / RFC 9162 tree against three independent references: the published roots and node hashes of
/// the eight RFC 6962 test leaves, the transparency-dev/merkle proof vectors in `../shared/vectors`, and a naive
/// implementation written straight from the RFC text, compared on seeded random trees of every size up to 300.
@Suite("MerkleTree")
struct MerkleTreeTests {
    // MARK: Published constants

    /// The eight RFC 6962 test leaves (transparency-dev/merkle testonly/constants.go `LeafInputs`).
    static let referenceLeaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(MerkleTestSupport.hex)

    /// Roots of the trees of the first 0…8 test leaves (transparency-dev/merkle testonly/constants.go
    /// `RootHashes`, also the `roots` table of proof/verify_test.go; size 0 is SHA-256 of "").
    static let referenceRoots: [[UInt8]] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(MerkleTestSupport.hex)

    /// Hashes of the complete subtrees of the 8-leaf tree, by level (constants.go `NodeHashes`).
    static let referenceNodes: [[[UInt8]]] = [
        ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
         "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
         "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
         "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
         "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
         "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
         "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"],
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
         "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"],
        ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ].map { $0.map(MerkleTestSupport.hex) }

    @Test("the nine published roots of the RFC 6962 test leaves, sizes 0 to 8")
    func referenceRootsMatch() {
        let leafHashes = Self.referenceLeaves.map { Merkle.leafHash($0) }
        var accumulator = MerkleAccumulator()
        #expect(accumulator.root().bytes == Self.referenceRoots[0])
        for size in 0...8 {
            let hashes = Array(leafHashes.prefix(size))
            #expect(Merkle.root(leafHashes: hashes) == Self.referenceRoots[size], "root of size \(size)")
            if size > 0 {
                accumulator.append(leafHash: leafHashes[size - 1])
                #expect(accumulator.size == size)
                #expect(accumulator.root().bytes == Self.referenceRoots[size], "accumulated root of size \(size)")
            }
        }
        #expect(Merkle.emptyRoot == Self.referenceRoots[0])
        #expect(Merkle.root(leafHashes: []) == Merkle.emptyRoot)
    }

    @Test("leaf and node hashes match the published complete-subtree hashes")
    func referenceNodesMatch() {
        var level = Self.referenceLeaves.map { Merkle.leafHash($0) }
        for (height, expected) in Self.referenceNodes.enumerated() {
            #expect(level == expected, "level \(height)")
            level = stride(from: 0, to: level.count - 1, by: 2).map { Merkle.nodeHash(level[$0], level[$0 + 1]) }
        }
        // leafHash takes any collection of bytes, contiguous or not.
        #expect(Merkle.leafHash([UInt8(0x20), 0x21].lazy.map { $0 }) == Self.referenceNodes[0][3])
        #expect(Merkle.leafHash(Data([0x20, 0x21])) == Self.referenceNodes[0][3])
    }

    @Test("the published inclusion and consistency proofs of proof/verify_test.go are generated exactly")
    func publishedProofsAreGenerated() {
        let leafHashes = Self.referenceLeaves.map { Merkle.leafHash($0) }
        let nodes = Self.referenceNodes
        // (leaf index, tree size, proof) from transparency-dev/merkle's `inclusionProofs` (1-based leaf there).
        let inclusion: [(Int, Int, [[UInt8]])] = [
            (0, 1, []),
            (0, 8, [nodes[0][1], nodes[1][1], nodes[2][1]]),
            (5, 8, [nodes[0][4], nodes[1][3], nodes[2][0]]),
            (2, 3, [nodes[1][0]]),
            (1, 5, [nodes[0][0], nodes[1][1], nodes[0][4]]),
        ]
        for (index, size, expected) in inclusion {
            let tree = Array(leafHashes.prefix(size))
            #expect(Merkle.inclusionProof(index: index, leafHashes: tree) == expected, "inclusion \(index) of \(size)")
            #expect(Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index], proof: expected,
                                           root: Self.referenceRoots[size]))
        }
        let consistency: [(Int, Int, [[UInt8]])] = [
            (1, 1, []),
            (1, 8, [nodes[0][1], nodes[1][1], nodes[2][1]]),
            (6, 8, [nodes[1][2], nodes[1][3], nodes[2][0]]),
            (2, 5, [nodes[1][1], nodes[0][4]]),
            (6, 7, [nodes[1][2], nodes[0][6], nodes[2][0]]),
        ]
        for (old, new, expected) in consistency {
            let tree = Array(leafHashes.prefix(new))
            #expect(Merkle.consistencyProof(oldSize: old, leafHashes: tree) == expected, "consistency \(old)→\(new)")
            #expect(Merkle.verifyConsistency(oldSize: old, newSize: new, oldRoot: Self.referenceRoots[old],
                                             newRoot: Self.referenceRoots[new], proof: expected))
        }
    }

    // MARK: transparency-dev/merkle JSON vectors

    @Test("every transparency-dev inclusion vector: happy paths verify, every mutation is rejected")
    func inclusionVectors() throws {
        let files = try MerkleTestSupport.vectorFiles("inclusion")
        try #require(files.count >= 90, "only \(files.count) inclusion vectors found; the vector folder is incomplete")
        var happy = 0
        for file in files {
            let vector = try JSONDecoder().decode(MerkleTestSupport.InclusionVector.self, from: Data(contentsOf: file))
            // Go's uint64 leaf index 0 − 1 wraps to 2^64 − 1; as a Swift Int that is −1, equally invalid.
            let index = Int(truncatingIfNeeded: vector.leafIdx)
            let size = Int(truncatingIfNeeded: vector.treeSize)
            let verified = Merkle.verifyInclusion(index: index, size: size, leafHash: try MerkleTestSupport.base64(vector.leafHash),
                                                  proof: try (vector.proof ?? []).map(MerkleTestSupport.base64),
                                                  root: try MerkleTestSupport.base64(vector.root))
            #expect(verified == !vector.wantErr, "\(MerkleTestSupport.name(file)): \(vector.desc)")
            if !vector.wantErr { happy += 1 }
        }
        #expect(happy == 6, "expected the 6 happy paths of the published set")
    }

    @Test("every transparency-dev consistency vector: happy paths verify, every mutation is rejected")
    func consistencyVectors() throws {
        let files = try MerkleTestSupport.vectorFiles("consistency")
        try #require(files.count >= 90, "only \(files.count) consistency vectors found; the vector folder is incomplete")
        var happy = 0
        for file in files {
            let vector = try JSONDecoder().decode(MerkleTestSupport.ConsistencyVector.self, from: Data(contentsOf: file))
            let verified = Merkle.verifyConsistency(oldSize: Int(truncatingIfNeeded: vector.size1),
                                                    newSize: Int(truncatingIfNeeded: vector.size2),
                                                    oldRoot: try MerkleTestSupport.base64(vector.root1),
                                                    newRoot: try MerkleTestSupport.base64(vector.root2),
                                                    proof: try (vector.proof ?? []).map(MerkleTestSupport.base64))
            #expect(verified == !vector.wantErr, "\(MerkleTestSupport.name(file)): \(vector.desc)")
            if !vector.wantErr { happy += 1 }
        }
        #expect(happy == 6, "expected the 6 happy paths of the published set")
    }

    @Test("the happy-path vectors' proofs are the ones this implementation generates")
    func vectorProofsAreGenerated() throws {
        let leafHashes = Self.referenceLeaves.map { Merkle.leafHash($0) }
        for file in try MerkleTestSupport.vectorFiles("inclusion") where file.lastPathComponent == "happy-path.json" {
            let vector = try JSONDecoder().decode(MerkleTestSupport.InclusionVector.self, from: Data(contentsOf: file))
            let tree = Array(leafHashes.prefix(Int(vector.treeSize)))
            let proof = Merkle.inclusionProof(index: Int(vector.leafIdx), leafHashes: tree)
            #expect(try proof == (vector.proof ?? []).map(MerkleTestSupport.base64), "\(MerkleTestSupport.name(file))")
            #expect(try Merkle.root(leafHashes: tree) == MerkleTestSupport.base64(vector.root))
        }
        for file in try MerkleTestSupport.vectorFiles("consistency") where file.lastPathComponent == "happy-path.json" {
            let vector = try JSONDecoder().decode(MerkleTestSupport.ConsistencyVector.self, from: Data(contentsOf: file))
            let tree = Array(leafHashes.prefix(Int(vector.size2)))
            let proof = Merkle.consistencyProof(oldSize: Int(vector.size1), leafHashes: tree)
            #expect(try proof == (vector.proof ?? []).map(MerkleTestSupport.base64), "\(MerkleTestSupport.name(file))")
        }
    }

    // MARK: Boundary rules

    @Test("inclusion: indices outside the tree, wrong-sized hashes and wrong proof lengths are rejected")
    func inclusionBoundaries() {
        let leafHashes = (0..<7).map { Merkle.leafHash([UInt8($0)]) }
        let root = Merkle.root(leafHashes: leafHashes)
        let proof = Merkle.inclusionProof(index: 3, leafHashes: leafHashes)
        #expect(Merkle.verifyInclusion(index: 3, size: 7, leafHash: leafHashes[3], proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: -1, size: 7, leafHash: leafHashes[3], proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: 7, size: 7, leafHash: leafHashes[3], proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: 0, size: 0, leafHash: leafHashes[3], proof: [], root: Merkle.emptyRoot))
        #expect(!Merkle.verifyInclusion(index: 3, size: -7, leafHash: leafHashes[3], proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: 3, size: 7, leafHash: Array(leafHashes[3].dropLast()), proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: 3, size: 7, leafHash: leafHashes[3], proof: proof, root: root + [0]))
        #expect(!Merkle.verifyInclusion(index: 3, size: 7, leafHash: leafHashes[3], proof: proof + [root], root: root))
        #expect(!Merkle.verifyInclusion(index: 3, size: 7, leafHash: leafHashes[3], proof: Array(proof.dropLast()), root: root))
        // A single-leaf tree's root is its leaf hash, with an empty proof.
        #expect(Merkle.inclusionProof(index: 0, leafHashes: [leafHashes[0]]).isEmpty)
        #expect(Merkle.verifyInclusion(index: 0, size: 1, leafHash: leafHashes[0], proof: [], root: leafHashes[0]))
    }

    @Test("consistency: size 0, shrinking trees, equal sizes and empty proofs follow the reference rules")
    func consistencyBoundaries() {
        let leafHashes = (0..<9).map { Merkle.leafHash([UInt8($0)]) }
        let roots = (0...9).map { Merkle.root(leafHashes: Array(leafHashes.prefix($0))) }
        #expect(Merkle.consistencyProof(oldSize: 0, leafHashes: leafHashes).isEmpty)
        #expect(Merkle.consistencyProof(oldSize: 9, leafHashes: leafHashes).isEmpty)
        #expect(!Merkle.verifyConsistency(oldSize: 0, newSize: 9, oldRoot: roots[0], newRoot: roots[9], proof: []))
        #expect(!Merkle.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: roots[0], newRoot: roots[0], proof: []))
        #expect(Merkle.verifyConsistency(oldSize: 9, newSize: 9, oldRoot: roots[9], newRoot: roots[9], proof: []))
        #expect(!Merkle.verifyConsistency(oldSize: 9, newSize: 9, oldRoot: roots[9], newRoot: roots[8], proof: []))
        #expect(!Merkle.verifyConsistency(oldSize: 9, newSize: 9, oldRoot: roots[9], newRoot: roots[9], proof: [roots[9]]))
        #expect(!Merkle.verifyConsistency(oldSize: 5, newSize: 4, oldRoot: roots[5], newRoot: roots[4], proof: []))
        #expect(!Merkle.verifyConsistency(oldSize: -1, newSize: 9, oldRoot: roots[0], newRoot: roots[9], proof: []))
        #expect(!Merkle.verifyConsistency(oldSize: 4, newSize: 9, oldRoot: roots[4], newRoot: roots[9], proof: []))
        let proof = Merkle.consistencyProof(oldSize: 5, leafHashes: leafHashes)
        #expect(Merkle.verifyConsistency(oldSize: 5, newSize: 9, oldRoot: roots[5], newRoot: roots[9], proof: proof))
        #expect(!Merkle.verifyConsistency(oldSize: 5, newSize: 9, oldRoot: roots[5] + [0], newRoot: roots[9], proof: proof))
        #expect(!Merkle.verifyConsistency(oldSize: 5, newSize: 9, oldRoot: roots[5], newRoot: roots[9],
                                          proof: proof.map { $0 + [0] }))
    }

    @Test("a saved accumulator reads back and continues identically; an inconsistent one is refused")
    func accumulatorCoding() throws {
        let leafHashes = Self.randomLeaves.prefix(23).map { Merkle.leafHash($0) }
        var accumulator = MerkleAccumulator()
        for hash in leafHashes.prefix(13) { accumulator.append(leafHash: hash) }
        let saved = try JSONEncoder().encode(accumulator)
        var restored = try JSONDecoder().decode(MerkleAccumulator.self, from: saved)
        #expect(restored == accumulator && restored.size == 13 && restored.root() == accumulator.root())
        for hash in leafHashes.dropFirst(13) { restored.append(leafHash: hash) }
        #expect(restored.root() == Merkle.rootHash(leafHashes: Array(leafHashes)))

        let object = try #require(try JSONSerialization.jsonObject(with: saved) as? [String: Any])
        let hashes = try #require(object["subtrees"] as? [[Int]])
        let damaged: [(String, [String: Any])] = [
            ("size disagrees with the subtrees", object.merging(["size": 14]) { $1 }),
            ("negative size", object.merging(["size": -13]) { $1 }),
            ("heights out of order", object.merging(["heights": [0, 2, 3]]) { $1 }),
            ("a subtree missing", object.merging(["subtrees": Array(hashes.dropLast())]) { $1 }),
            ("a short hash", object.merging(["subtrees": [Array(hashes[0].dropLast())] + hashes.dropFirst()]) { $1 }),
        ]
        for (what, value) in damaged {
            let data = try JSONSerialization.data(withJSONObject: value)
            #expect(throws: DecodingError.self, "\(what)") { try JSONDecoder().decode(MerkleAccumulator.self, from: data) }
        }
    }

    // MARK: Naive reference, random trees

    /// 300 random leaves (0–40 random bytes each) from a fixed seed; every tree below is a prefix of them.
    static let randomLeaves: [[UInt8]] = {
        var generator = SplitMix64(seed: 0x6872_6961_2d6d_6b6c)
        return (0..<300).map { _ in
            (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }()

    @Test("roots and accumulator roots equal the naive MTH for every size 0…300")
    func randomRoots() {
        var naive = NaiveMerkle(leaves: Self.randomLeaves)
        let leafHashes = Self.randomLeaves.map { Merkle.leafHash($0) }
        var accumulator = MerkleAccumulator()
        for size in 0...300 {
            let expected = naive.mth(0, size)
            #expect(Merkle.root(leafHashes: Array(leafHashes.prefix(size))) == expected, "root of size \(size)")
            #expect(accumulator.size == size)
            #expect(accumulator.root().bytes == expected, "accumulated root of size \(size)")
            if size < 300 {
                #expect(leafHashes[size] == naive.mth(size, 1), "leaf hash \(size)")
                accumulator.append(leafHash: leafHashes[size])
            }
        }
    }

    @Test("pieces of the tree built apart (as verify's cores do) and joined give the naive root at every size")
    func joinedRanges() throws {
        var naive = NaiveMerkle(leaves: Self.randomLeaves)
        let leaves = try Self.randomLeaves.map { try #require(SHA256Hash(bytes: Merkle.leafHash($0))) }
        var generator = SplitMix64(seed: 0x7261_6e67_6573)
        for _ in 0..<60 {
            // Cut 0…300 into random consecutive pieces; join them in order, checking the root after each piece
            // and, from snapshots taken inside each piece, at every size.
            var tree = MerkleAccumulator()
            var start = 0
            while start < 300 {
                let end = min(300, start + Int.random(in: 1...70, using: &generator))
                var piece = MerkleRange(start: start)
                var snapshots: [MerkleRange] = []
                for index in start..<end {
                    piece.append(leaves[index])
                    snapshots.append(piece)
                }
                for snapshot in snapshots {
                    var joined = tree
                    joined.append(snapshot)
                    #expect(joined.root().bytes == naive.mth(0, snapshot.end), "root of size \(snapshot.end), piece from \(start)")
                }
                tree.append(piece)
                #expect(tree.size == end)
                start = end
            }
            #expect(tree.root().bytes == naive.mth(0, 300))
        }
    }

    @Test("the inline hash agrees with swift-crypto's SHA256 type on leaves and nodes of every length 0…300")
    func inlineHashAgrees() throws {
        for length in 0...300 {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length) }
            let leaf = data.withUnsafeBytes { SHA256Hash.leaf($0) }
            #expect(leaf.bytes == Array(SHA256.hash(data: [0x00] + data)), "leaf of \(length) bytes")
            let node = SHA256Hash.node(leaf, try #require(SHA256Hash(bytes: Array(SHA256.hash(data: data)))))
            #expect(node.bytes == Array(SHA256.hash(data: [0x01] + leaf.bytes + Array(SHA256.hash(data: data)))))
            let hex = Digest.hex(leaf.bytes)
            #expect(Array(hex.utf8).withUnsafeBytes { leaf.matchesHex($0) })
            #expect(!Array(hex.uppercased().utf8).withUnsafeBytes { leaf.matchesHex($0) } || !hex.contains(where: \.isLetter))
            #expect(!Array(hex.dropLast().utf8).withUnsafeBytes { leaf.matchesHex($0) })
        }
    }

    // Proof generation is O(n) per proof by design, so checking all n proofs of all 300 trees would cost about
    // 9 million SHA-256 calls, nearly a minute in a debug build. Every proof is checked for every tree of up to
    // 100 leaves and for the trees on both sides of 256; the other trees up to 300 check a sample of leaves that
    // includes both ends and both sides of every power-of-two boundary.

    @Test("every inclusion proof of every tree of 1…100 and 255…257 leaves equals the naive PATH and verifies",
          arguments: [1...72, 73...100, 255...257])
    func randomInclusionProofsExhaustive(sizes: ClosedRange<Int>) {
        var naive = NaiveMerkle(leaves: Self.randomLeaves)
        let leafHashes = Self.randomLeaves.map { Merkle.leafHash($0) }
        for size in sizes {
            for index in 0..<size {
                Self.checkInclusion(&naive, leafHashes: leafHashes, size: size, index: index, mutate: index % 5 == 0 || index == size - 1)
            }
        }
    }

    @Test("sampled inclusion proofs of every tree of 101…300 leaves equal the naive PATH and verify",
          arguments: [101...200, 201...300])
    func randomInclusionProofsSampled(sizes: ClosedRange<Int>) {
        var naive = NaiveMerkle(leaves: Self.randomLeaves)
        let leafHashes = Self.randomLeaves.map { Merkle.leafHash($0) }
        var generator = SplitMix64(seed: UInt64(sizes.lowerBound))
        for size in sizes {
            var indices: Set<Int> = [0, 1, size / 2, size - 2, size - 1]
            var power = 64
            while power < size { indices.formUnion([power - 1, power]); power *= 2 }
            for _ in 0..<2 { indices.insert(Int.random(in: 0..<size, using: &generator)) }
            for index in indices.sorted() {
                Self.checkInclusion(&naive, leafHashes: leafHashes, size: size, index: index, mutate: true)
            }
        }
    }

    /// Fast proof equals naive PATH and verifies; with `mutate`, cheap corruptions are rejected (the JSON vectors
    /// cover the systematic ones).
    static func checkInclusion(_ naive: inout NaiveMerkle, leafHashes: [[UInt8]], size: Int, index: Int, mutate: Bool) {
        let tree = Array(leafHashes.prefix(size))
        let root = naive.mth(0, size)
        let proof = Merkle.inclusionProof(index: index, leafHashes: tree)
        guard proof == naive.path(index, 0, size) else {
            Issue.record("inclusion proof of leaf \(index) in a tree of \(size) differs from the naive PATH")
            return
        }
        #expect(Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index], proof: proof, root: root),
                "leaf \(index) of \(size)")
        guard mutate else { return }
        #expect(!Merkle.verifyInclusion(index: index, size: size, leafHash: MerkleTestSupport.flip(tree[index]),
                                        proof: proof, root: root))
        #expect(!Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index], proof: proof,
                                        root: MerkleTestSupport.flip(root)))
        #expect(!Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index], proof: proof + [root], root: root))
        for i in proof.indices {
            var bad = proof
            bad[i] = MerkleTestSupport.flip(bad[i])
            #expect(!Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index], proof: bad, root: root))
        }
        if !proof.isEmpty {
            #expect(!Merkle.verifyInclusion(index: index, size: size, leafHash: tree[index],
                                            proof: Array(proof.dropLast()), root: root))
        }
    }

    @Test("consistency proofs for many (m, n) pairs up to 300 equal the naive PROOF and verify",
          arguments: [1...150, 151...240, 241...300])
    func randomConsistencyProofs(sizes: ClosedRange<Int>) {
        var naive = NaiveMerkle(leaves: Self.randomLeaves)
        let leafHashes = Self.randomLeaves.map { Merkle.leafHash($0) }
        var generator = SplitMix64(seed: UInt64(sizes.lowerBound))
        for size in sizes {
            let tree = Array(leafHashes.prefix(size))
            var olds: Set<Int>
            if size <= 40 {
                olds = Set(1...size)
            } else {
                // Both sides of the largest power of two below the size, where the proof's shape changes most.
                let k = Merkle.splitPoint(size)
                olds = [1, 3, k - 1, k, k + 1, size / 2, size - 1, size]
                for _ in 0..<2 { olds.insert(Int.random(in: 1...size, using: &generator)) }
            }
            let newRoot = naive.mth(0, size)
            for old in olds.sorted() {
                let oldRoot = naive.mth(0, old)
                let proof = Merkle.consistencyProof(oldSize: old, leafHashes: tree)
                guard proof == naive.proof(old, size) else {
                    Issue.record("consistency proof \(old)→\(size) differs from the naive PROOF")
                    continue
                }
                #expect(Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: proof),
                        "\(old)→\(size)")
                guard old < size else { continue }
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: MerkleTestSupport.flip(oldRoot),
                                                  newRoot: newRoot, proof: proof))
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot,
                                                  newRoot: MerkleTestSupport.flip(newRoot), proof: proof))
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: newRoot, newRoot: oldRoot, proof: proof))
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot,
                                                  proof: Array(proof.dropLast())))
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot,
                                                  proof: proof + [oldRoot]))
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot,
                                                  proof: [newRoot] + proof))
                for i in proof.indices {
                    var bad = proof
                    bad[i] = MerkleTestSupport.flip(bad[i])
                    #expect(!Merkle.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: bad))
                }
            }
        }
    }
}

/// RFC 6962 §2.1 / RFC 9162 §2.1.3.1, §2.1.4.1 transcribed literally over leaf *data* `D[start ..< start+count]`,
/// hashing with `Digest.sha256` rather than `Merkle`'s helpers. Subtree hashes are memoized by range, which changes
/// no result and keeps 300 trees' worth of proofs fast.
struct NaiveMerkle {
    let leaves: [[UInt8]]
    private var memo: [Int: [UInt8]] = [:]

    init(leaves: [[UInt8]]) { self.leaves = leaves }

    /// The largest power of two smaller than n, by counting up.
    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[start : start+count]).
    mutating func mth(_ start: Int, _ count: Int) -> [UInt8] {
        let key = start * 1024 + count
        if let known = memo[key] { return known }
        let hash: [UInt8]
        switch count {
        case 0: hash = Digest.sha256([UInt8]())
        case 1: hash = Digest.sha256([0x00] + leaves[start])
        default:
            let k = Self.k(count)
            hash = Digest.sha256([0x01] + mth(start, k) + mth(start + k, count - k))
        }
        memo[key] = hash
        return hash
    }

    /// PATH(m, D[start : start+count]).
    mutating func path(_ m: Int, _ start: Int, _ count: Int) -> [[UInt8]] {
        if count == 1 { return [] }
        let k = Self.k(count)
        if m < k { return path(m, start, k) + [mth(start + k, count - k)] }
        return path(m - k, start + k, count - k) + [mth(start, k)]
    }

    /// PROOF(m, D[0 : n]) = SUBPROOF(m, D[0 : n], true).
    mutating func proof(_ m: Int, _ n: Int) -> [[UInt8]] {
        subproof(m, 0, n, true)
    }

    private mutating func subproof(_ m: Int, _ start: Int, _ count: Int, _ b: Bool) -> [[UInt8]] {
        if m == count { return b ? [] : [mth(start, count)] }
        let k = Self.k(count)
        if m <= k { return subproof(m, start, k, b) + [mth(start + k, count - k)] }
        return subproof(m - k, start + k, count - k, false) + [mth(start, k)]
    }
}

/// Helpers for the Merkle tests: vector files, hex and base64 (the seeded generator is SplitMix64, in TestSupport.swift).
enum MerkleTestSupport {
    struct InclusionVector: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String
        let leafHash: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    /// The transparency-dev vectors (`rfc6962-merkle/testdata`), found from this file's path so it works from any
    /// working directory.
    static var vectorsRoot: URL {
        // Next to the repository (../shared/vectors), at $HRIA_VECTORS, or in the team's shared folder; the
        // first that exists. When none does, the tests below fail and say where they looked.
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [repository.appendingPathComponent("../shared/vectors").standardizedFileURL]
        if let given = ProcessInfo.processInfo.environment["HRIA_VECTORS"] { candidates.insert(URL(fileURLWithPath: given), at: 0) }
        candidates.append(URL(fileURLWithPath: "/work/shared/vectors"))
        let found = candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("rfc6962-merkle/testdata").path) }
        return (found ?? candidates[0]).appendingPathComponent("rfc6962-merkle/testdata")
    }

    /// Every JSON file under `kind` (inclusion or consistency), sorted; fails the test when the folder is missing
    /// rather than letting the vector tests pass vacuously.
    static func vectorFiles(_ kind: String) throws -> [URL] {
        let folder = vectorsRoot.appendingPathComponent(kind)
        var isDirectory: ObjCBool = false
        try #require(FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) && isDirectory.boolValue,
                     "the RFC 6962 vectors are missing at \(folder.path); they belong in ../shared/vectors next to the repository (or set HRIA_VECTORS)")
        let enumerator = try #require(FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil))
        var files: [URL] = []
        for case let url as URL in enumerator where url.pathExtension == "json" { files.append(url) }
        return files.sorted { $0.path < $1.path }
    }

    static func name(_ file: URL) -> String {
        file.pathComponents.suffix(3).joined(separator: "/")
    }

    static func base64(_ text: String) throws -> [UInt8] {
        [UInt8](try #require(Data(base64Encoded: text), "bad base64 in a vector: \(text)"))
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func flip(_ hash: [UInt8]) -> [UInt8] {
        var copy = hash
        copy[0] ^= 0x10
        return copy
    }
}
