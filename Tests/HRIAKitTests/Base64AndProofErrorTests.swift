import Foundation
@testable import HRIAKit
import Testing
import HRIATestSupport

@Suite("One base64 codec, and Merkle proofs that say why they fail")
struct Base64AndProofErrorTests {
    @Test("RFC 4648 §10 test vectors, in both forms")
    func rfcVectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
                       ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.standard.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.standard.decode(encoded, strict: true) == Array(plain.utf8))
            let unpadded = encoded.replacingOccurrences(of: "=", with: "")
            #expect(Base64.url.encode(Array(plain.utf8)) == unpadded)
            #expect(Base64.url.decode(unpadded, strict: true) == Array(plain.utf8))
        }
    }

    @Test("every length and byte agrees with Foundation's encoder, the URL form with its alphabet mapped")
    func agreesWithFoundation() {
        var generator = SplitMix64(seed: 0x6261_7365_3634)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let reference = Data(bytes).base64EncodedString()
            #expect(Base64.standard.encode(bytes) == reference)
            #expect(Base64.standard.decode(reference, strict: true) == bytes)
            let url = IndependentBase64URL.encode(bytes)
            #expect(Base64.url.encode(bytes) == url)
            #expect(Base64.url.decode(url, strict: true) == bytes)
        }
    }

    @Test("what each form does not allow is refused", arguments: [
        ("Zm9v\n", false), ("Zm8", false), ("Zm8==", false), ("Z===", false), ("Zm=v", false), ("Zm9-", false), ("Zm9v====", false),
        ("Zh==", true), ("Zm9=", true),
    ])
    func standardRefusals(text: String, onlyStrict: Bool) {
        #expect(Base64.standard.decode(text, strict: true) == nil, "\(text)")
        #expect((Base64.standard.decode(text) == nil) == !onlyStrict, "\(text)")
    }

    @Test("the URL form has no padding and no + or /")
    func urlRefusals() {
        for text in ["Zm8=", "Zm9+", "Zm9/", "Z", "Zm9vY", "Zm 9v"] { #expect(Base64.url.decode(text) == nil, "\(text)") }
        #expect(Base64.url.decode("Zh") == [0x66])
        #expect(Base64.url.decode("Zh", strict: true) == nil, "non-zero trailing bits are not the one spelling")
    }

    @Test("line breaks are skipped only when asked, as Go's decoder skips them in signed notes")
    func newlines() {
        #expect(Base64.standard.decode("Zm9v\r\nYmFy", ignoringNewlines: true) == Array("foobar".utf8))
        #expect(Base64.standard.decode("Zm9v\nYmFy") == nil)
    }

    // MARK: Proof errors

    static let leaves = (0..<7).map { Merkle.leafHash(Array("leaf \($0)".utf8)) }

    @Test("an inclusion proof says which rule it breaks")
    func inclusionErrors() throws {
        let leaves = Self.leaves
        let root = Merkle.root(leafHashes: leaves)
        let proof = Merkle.inclusionProof(index: 3, leafHashes: leaves)
        try Merkle.checkInclusion(index: 3, size: 7, leafHash: leaves[3], proof: proof, root: root)
        func failure(_ index: Int, _ size: Int, _ leaf: [UInt8], _ proof: [[UInt8]], _ root: [UInt8]) -> MerkleProofError? {
            do {
                try Merkle.checkInclusion(index: index, size: size, leafHash: leaf, proof: proof, root: root)
                return nil
            } catch {
                return error
            }
        }
        #expect(failure(7, 7, leaves[3], proof, root) == .indexOutOfRange(index: 7, size: 7))
        #expect(failure(-1, 7, leaves[3], proof, root) == .indexOutOfRange(index: -1, size: 7))
        #expect(failure(3, 7, Array(leaves[3].dropLast()), proof, root) == .notAHash("leaf hash", count: 31))
        #expect(failure(3, 7, leaves[3], proof + [[1, 2]], root) == .notAHash("proof hash 4", count: 2))
        #expect(failure(3, 7, leaves[3], Array(proof.dropLast()), root) == .wrongProofLength(got: 2, want: 3))
        #expect(failure(3, 7, leaves[3], proof + [root], root) == .wrongProofLength(got: 4, want: 3))
        guard case .rootMismatch(_, let expected)? = failure(3, 7, leaves[2], proof, root) else {
            Issue.record("another leaf should lead to another root")
            return
        }
        #expect(expected == root)
        #expect(failure(3, 7, leaves[2], proof, root)?.description.hasPrefix("the proof leads to root ") == true)
    }

    @Test("a consistency proof says which rule it breaks, and its expected length matches every valid proof")
    func consistencyErrors() throws {
        let leaves = Self.leaves
        let roots = (0...7).map { Merkle.root(leafHashes: Array(leaves.prefix($0))) }
        for old in 1...7 {
            for new in old...7 {
                let proof = Merkle.consistencyProof(oldSize: old, leafHashes: Array(leaves.prefix(new)))
                try Merkle.checkConsistency(oldSize: old, newSize: new, oldRoot: roots[old], newRoot: roots[new], proof: proof)
                if old < new {
                    #expect(throws: MerkleProofError.wrongProofLength(got: proof.count + 1, want: proof.count)) {
                        try Merkle.checkConsistency(oldSize: old, newSize: new, oldRoot: roots[old], newRoot: roots[new],
                                                    proof: proof + [roots[1]])
                    }
                }
            }
        }
        #expect(throws: MerkleProofError.fromEmptyTree) {
            try Merkle.checkConsistency(oldSize: 0, newSize: 3, oldRoot: roots[0], newRoot: roots[3], proof: [])
        }
        #expect(throws: MerkleProofError.sizesOutOfOrder(old: 5, new: 3)) {
            try Merkle.checkConsistency(oldSize: 5, newSize: 3, oldRoot: roots[5], newRoot: roots[3], proof: [])
        }
        let proof = Merkle.consistencyProof(oldSize: 3, leafHashes: Array(leaves.prefix(7)))
        #expect(throws: MerkleProofError.rootMismatch(calculated: roots[3], expected: roots[4])) {
            try Merkle.checkConsistency(oldSize: 3, newSize: 7, oldRoot: roots[4], newRoot: roots[7], proof: proof)
        }
    }
}

@Suite("SHA-256 values in their hex and base64 forms")
struct SHA256HashFormTests {
    @Test("the hash of the empty string, both ways round")
    func emptyString() throws {
        let hash = try #require(SHA256Hash(bytes: Digest.sha256([UInt8]())))
        #expect(hash.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hash.base64 == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        #expect(SHA256Hash(base64: hash.base64) == hash)
        #expect(SHA256Hash(hex: hash.hex) == hash)
        #expect(SHA256Hash(base64: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU") == nil, "unpadded")
        #expect(SHA256Hash(base64: "Zm9v") == nil, "three bytes")
    }
}
