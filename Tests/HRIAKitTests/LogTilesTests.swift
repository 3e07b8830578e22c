import Foundation
import Testing
@testable import HRIAKit

/// The C2SP tlog-tiles layout of a log: paths as the spec spells them (and no other spelling), hash tiles against
/// the RFC 6962 tree computed without tiles, entry bundles' framing, and what the tree at a size does not cover.
@Suite("LogTiles")
struct LogTilesTests {
    static func lines(_ count: Int) -> [[UInt8]] {
        (0 ..< count).map { Array("{\"seq\":\($0),\"text\":\"line \($0)\"}".utf8) }
    }

    @Test("paths: the spec's example index x001/x234/067, partial widths, entry bundles")
    func pathSpelling() {
        #expect(LogTiles.Path(kind: .hashes(level: 0), index: 1_234_067).description == "tile/0/x001/x234/067")
        #expect(LogTiles.Path(kind: .hashes(level: 2), index: 5, width: 17).description == "tile/2/005.p/17")
        #expect(LogTiles.Path(kind: .entries, index: 1000).description == "tile/entries/x001/000")
        #expect(LogTiles.Path(kind: .entries, index: 0, width: 1).description == "tile/entries/000.p/1")
        for text in ["tile/0/x001/x234/067", "tile/5/999", "tile/entries/x001/000.p/255", "tile/3/000.p/1"] {
            #expect(LogTiles.Path(text)?.description == text, "\(text)")
        }
        #expect(LogTiles.Path("tile/0/x001/x234/067")?.index == 1_234_067)
        #expect(LogTiles.Path("tile/entries/012.p/9") == LogTiles.Path(kind: .entries, index: 12, width: 9))
    }

    @Test("paths: every other spelling is refused, so one tile never has two names",
          arguments: ["tile/0/0", "tile/0/0000", "tile/00/000", "tile/6/000", "tile/-1/000", "tile/0/x000/001", "tile/0/001/002",
                      "tile/0/x01/002", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/05", "tile/0/000.p/", "tile/0/000.p",
                      "tile/entries", "tile/entries/", "tile//000", "tiles/0/000", "tile/0/000/", "tile/0/+12", "tile/0/١٢٣",
                      "tile/entries/000.p/9/1", "tile/0/x999/x999/x999/x999/x999/x999/x999/999"])
    func pathRefusals(_ text: String) {
        #expect(LogTiles.Path(text) == nil, "\(text)")
    }

    @Test("hash tiles hold the complete subtrees of each level of the RFC 6962 tree", arguments: [1, 255, 256, 257, 700])
    func hashTiles(_ size: Int) throws {
        let lines = Self.lines(size)
        let leaves = lines.map { Merkle.leafHash($0) }
        let tiles = LogTiles(lines: lines)
        #expect(tiles.size == size)
        #expect(tiles.rootHash == Merkle.rootHash(leafHashes: leaves))
        // Level 0: the leaf hashes themselves, 256 to a tile, the last one partial.
        for index in 0 ... (size - 1) / 256 {
            let width = min(256, size - index * 256)
            let tile = try tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: index, width: width)).get()
            #expect(tile == leaves[index * 256 ..< index * 256 + width].flatMap { $0 })
        }
        // Level 1: each hash the root of 256 leaves, as the tree without tiles computes it.
        let complete = size / 256
        if complete > 0 {
            let tile = try tiles.bytes(LogTiles.Path(kind: .hashes(level: 1), index: 0, width: complete)).get()
            for k in 0 ..< complete {
                #expect(Array(tile[k * 32 ..< (k + 1) * 32]) == Merkle.root(leafHashes: Array(leaves[k * 256 ..< (k + 1) * 256])))
            }
        } else {
            #expect(tiles.bytes(LogTiles.Path(kind: .hashes(level: 1), index: 0, width: 1)) == .failure(.beyondTree))
        }
    }

    @Test("level 2 of a tree of 70,000 leaves: the root of the first 65,536")
    func levelTwo() throws {
        let lines = Self.lines(70_000)
        let tiles = LogTiles(lines: lines)
        let top = try tiles.bytes(LogTiles.Path(kind: .hashes(level: 2), index: 0, width: 1)).get()
        #expect(top == Merkle.root(leafHashes: lines[0 ..< 65_536].map { Merkle.leafHash($0) }))
        #expect(tiles.bytes(LogTiles.Path(kind: .hashes(level: 2), index: 0, width: 2)) == .failure(.beyondTree))
        #expect(tiles.paths.filter { if case .hashes(level: 2) = $0.kind { true } else { false } }.map(\.description) == ["tile/2/000.p/1"])
    }

    @Test("a partial tile of any covered width is the start of the full tile, also after it filled up")
    func partialOfFull() throws {
        let tiles = LogTiles(lines: Self.lines(300))
        let full = try tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 0)).get()
        for width in [1, 7, 255] {
            #expect(try tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 0, width: width)).get() == Array(full[0 ..< width * 32]))
        }
        #expect(try tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 1, width: 44)).get().count == 44 * 32)
        #expect(tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 1, width: 45)) == .failure(.beyondTree))
        #expect(tiles.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 1)) == .failure(.beyondTree))
        #expect(tiles.bytes(LogTiles.Path(kind: .entries, index: 999_999_999)) == .failure(.beyondTree))
    }

    @Test("entry bundles: each line as a big-endian uint16 length and its bytes; longer lines cannot be carried")
    func entryBundles() throws {
        let lines: [[UInt8]] = [Array("a".utf8), [], Array(repeating: 0x41, count: 300)]
        let tiles = LogTiles(lines: lines)
        let bundle = try tiles.bytes(LogTiles.Path(kind: .entries, index: 0, width: 3)).get()
        #expect(bundle == [0, 1, 0x61, 0, 0, 1, 44] + Array(repeating: 0x41, count: 300))
        let long = LogTiles(lines: [Array("x".utf8), Array(repeating: 0x42, count: 65_536)])
        #expect(long.bytes(LogTiles.Path(kind: .entries, index: 0, width: 1)).map(\.count) == .success(3))
        #expect(long.bytes(LogTiles.Path(kind: .entries, index: 0, width: 2)) == .failure(.entryTooLong(seq: 1)))
        #expect(long.files().skipped.map(\.path) == ["tile/entries/000.p/2"])
        // The hash tiles still cover the long line.
        #expect(try long.bytes(LogTiles.Path(kind: .hashes(level: 0), index: 0, width: 2)).get().count == 64)
        // Read back as a reader gets them: exactly the width's entries, nothing short, cut or after them.
        #expect(LogTiles.entries(ofBundle: bundle, width: 3) == lines)
        #expect(LogTiles.entries(ofBundle: bundle, width: 2) == nil)
        #expect(LogTiles.entries(ofBundle: bundle, width: 4) == nil)
        #expect(LogTiles.entries(ofBundle: Array(bundle.dropLast()), width: 3) == nil)
        #expect(LogTiles.entries(ofBundle: bundle + [0], width: 3) == nil)
        #expect(LogTiles.entries(ofBundle: [], width: 1) == nil)
    }

    @Test("the layout at one size: every full tile and each level's rightmost partial; the first lines of a log's bytes")
    func layout() {
        let tiles = LogTiles(lines: Self.lines(513))
        #expect(tiles.paths.map(\.description) == ["tile/0/000", "tile/0/001", "tile/0/002.p/1", "tile/1/000.p/2",
                                                   "tile/entries/000", "tile/entries/001", "tile/entries/002.p/1"])
        #expect(LogTiles(lines: []).paths.isEmpty)
        let bytes = Array("one\ntwo\nthree\nhalf".utf8)
        let fromBytes = LogTiles(logBytes: bytes, size: 2)
        #expect(fromBytes.size == 2)
        #expect(fromBytes.rootHash == LogTiles(lines: [Array("one".utf8), Array("two".utf8)]).rootHash)
        // A size beyond the complete lines gives the lines there are; callers compare with the checkpoint.
        #expect(LogTiles(logBytes: bytes, size: 9).size == 3)
    }

    @Test("the entry bundles a long line keeps out are found without building the tiles, exactly as files() finds them",
          arguments: [1, 256, 300, 599, 600])
    func skippedWithoutTiles(size: Int) {
        var lines = Self.lines(600)
        let long = Array(repeating: UInt8(ascii: "x"), count: LogTiles.maximumEntryLength + 1)
        for seq in [3, 5, 255, 300, 598] { lines[seq] = long }
        let bytes: [UInt8] = lines.flatMap { $0 + [UInt8(0x0A)] }
        let cheap = LogTiles.skippedEntryBundles(logBytes: bytes, size: size)
        let built = LogTiles(logBytes: bytes, size: size).files().skipped
        #expect(cheap.map { $0.path } == built.map { $0.path } && cheap.map { $0.seq } == built.map { $0.seq }, "\(cheap) against \(built)")
        #expect(size < 4 || !cheap.isEmpty)
    }
}
