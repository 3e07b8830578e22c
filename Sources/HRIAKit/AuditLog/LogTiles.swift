import Foundation

/// A log in the layout of C2SP tlog-tiles: the read path that transparency-log monitors, mirrors and witnesses
/// already speak. Everything here is computed from a verified log's lines at the size of its latest checkpoint, so
/// what is served or exported is exactly what that checkpoint commits to:
///
/// - `tile/<L>/<N>[.p/<W>]`: hash tiles, the hashes of level 8·L of the RFC 6962 tree, 256 to a full tile;
/// - `tile/entries/<N>[.p/<W>]`: entry bundles, each line of the log as a big-endian uint16 length and its bytes
///   (the line without its newline, which is the leaf RFC 6962 hashes).
///
/// A tile's content never changes once the tree covers it, so every tile is immutable; only `checkpoint` moves.
public struct LogTiles: Sendable {
    /// Hashes per full tile, and entries per full bundle.
    public static let width = 256
    /// Levels 0…5 address 2^48 leaves, the spec's bound.
    public static let maximumLevel = 5
    /// The longest entry a bundle's uint16 length can carry.
    public static let maximumEntryLength = 65_535

    /// One tile or bundle, and its path under a log's prefix.
    public struct Path: Hashable, Sendable, CustomStringConvertible {
        /// Hash tiles at a level, or entry bundles.
        public enum Kind: Hashable, Sendable {
            case hashes(level: Int)
            case entries
        }

        public var kind: Kind
        public var index: Int
        /// 1…256; 256 is a full tile (no `.p/` suffix).
        public var width: Int

        public init(kind: Kind, index: Int, width: Int = LogTiles.width) {
            self.kind = kind
            self.index = index
            self.width = width
        }

        /// `tile/0/x001/234.p/7`, relative to the log's prefix.
        public var description: String {
            let head: String
            switch kind {
            case .hashes(let level): head = "tile/\(level)/"
            case .entries: head = "tile/entries/"
            }
            return head + Self.encode(index) + (width < LogTiles.width ? ".p/\(width)" : "")
        }

        /// The tile index as 3-digit path elements, all but the last prefixed with `x` (1234067 → x001/x234/067).
        static func encode(_ index: Int) -> String {
            var groups: [Int] = [index % 1000]
            var rest = index / 1000
            while rest > 0 {
                groups.append(rest % 1000)
                rest /= 1000
            }
            let digits = groups.reversed().map { group -> String in
                let text = String(group)
                return String(repeating: "0", count: 3 - text.count) + text
            }
            return digits.dropLast().map { "x" + $0 }.joined(separator: "/") + (digits.count > 1 ? "/" : "") + (digits.last ?? "000")
        }

        /// Parses a path as the spec writes it, and only as it writes it: one spelling per tile, so a cache or a
        /// mirror never holds the same tile under two names. Nil for anything else.
        public init?(_ path: some StringProtocol) {
            var parts = String(path).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3, parts[0] == "tile" else { return nil }
            let kind: Kind
            if parts[1] == "entries" {
                kind = .entries
            } else {
                guard let level = Self.decimal(parts[1], max: LogTiles.maximumLevel) else { return nil }
                kind = .hashes(level: level)
            }
            parts.removeFirst(2)
            var width = LogTiles.width
            if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
                guard let partial = Self.decimal(parts[parts.count - 1], max: LogTiles.width - 1), partial >= 1 else { return nil }
                width = partial
                parts.removeLast()
                parts[parts.count - 1].removeLast(2)
            }
            var index = 0
            for (position, part) in parts.enumerated() {
                let last = position == parts.count - 1
                var digits = Substring(part)
                if !last {
                    guard digits.first == "x" else { return nil }
                    digits = digits.dropFirst()
                }
                guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let group = Int(digits) else { return nil }
                guard index <= (Int.max - group) / 1000 else { return nil }
                index = index * 1000 + group
            }
            self.init(kind: kind, index: index, width: width)
            guard description == String(path) else { return nil }
        }

        /// A decimal without leading zeros, at most `max`.
        private static func decimal(_ text: String, max: Int) -> Int? {
            guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }),
                  text == "0" || !text.hasPrefix("0"), let value = Int(text), value <= max else { return nil }
            return value
        }
    }

    /// Why a tile cannot be given.
    public enum Failure: Error, Sendable, Equatable {
        /// The tree at this size does not cover the tile (yet).
        case beyondTree
        /// An entry in the bundle is longer than a uint16 length can say; `seq` is the first such line.
        case entryTooLong(seq: Int)
    }

    /// The tree size the tiles describe: the latest checkpoint's.
    public let size: Int
    private let entries: [[UInt8]]
    /// levels[l][k]: the hash of the complete subtree of 256^l leaves starting at leaf k·256^l.
    private let levels: [[[UInt8]]]

    /// The tiles of a log whose first `lines.count` lines a checkpoint covers (lines without their newlines).
    public init(lines: [[UInt8]]) {
        size = lines.count
        entries = lines
        var levels: [[[UInt8]]] = [lines.map { Merkle.leafHash($0) }]
        while levels.count <= Self.maximumLevel, let below = levels.last, below.count >= Self.width {
            levels.append(stride(from: 0, to: below.count - Self.width + 1, by: Self.width).map {
                Merkle.subtreeRoot(below[$0 ..< $0 + Self.width])
            })
        }
        self.levels = levels
    }

    /// The root of the tree the tiles describe, to compare with the checkpoint that names this size.
    public var rootHash: SHA256Hash { Merkle.rootHash(leafHashes: levels[0]) }

    /// The bytes of a tile or bundle. A partial tile of any width the tree covers is given, also after its tile
    /// has filled up: its first W hashes never change.
    public func bytes(_ path: Path) -> Result<[UInt8], Failure> {
        guard path.index <= size / Self.width else { return .failure(.beyondTree) }
        let start = path.index * Self.width
        switch path.kind {
        case .hashes(let level):
            guard level < levels.count, start + path.width <= levels[level].count else { return .failure(.beyondTree) }
            return .success(levels[level][start ..< start + path.width].flatMap { $0 })
        case .entries:
            guard start + path.width <= size else { return .failure(.beyondTree) }
            var bundle: [UInt8] = []
            for seq in start ..< start + path.width {
                let entry = entries[seq]
                guard entry.count <= Self.maximumEntryLength else { return .failure(.entryTooLong(seq: seq)) }
                bundle.append(UInt8(entry.count >> 8))
                bundle.append(UInt8(entry.count & 0xFF))
                bundle.append(contentsOf: entry)
            }
            return .success(bundle)
        }
    }

    /// Every tile and bundle a reader of the tree at this size can ask for, as a static host holds them: each
    /// full tile, and the rightmost partial tile of each level (the spec's layout at one size).
    public var paths: [Path] {
        var paths: [Path] = []
        for (level, hashes) in levels.enumerated() {
            paths += Self.covering(hashes.count) { Path(kind: .hashes(level: level), index: $0, width: $1) }
        }
        return paths + Self.covering(size) { Path(kind: .entries, index: $0, width: $1) }
    }

    private static func covering(_ count: Int, _ make: (Int, Int) -> Path) -> [Path] {
        var paths = (0 ..< count / width).map { make($0, width) }
        if count % width > 0 { paths.append(make(count / width, count % width)) }
        return paths
    }
}

extension LogTiles {
    /// The tiles of the first `size` lines of a log's bytes (each line ending in a newline).
    public init(logBytes: [UInt8], size: Int) {
        var lines: [[UInt8]] = []
        lines.reserveCapacity(size)
        var start = logBytes.startIndex
        while lines.count < size, let end = logBytes[start...].firstIndex(of: 0x0A) {
            lines.append(Array(logBytes[start ..< end]))
            start = end + 1
        }
        self.init(lines: lines)
    }

    /// What `files().skipped` says of the first `size` lines of a log's bytes, without hashing or building any tile:
    /// each entry bundle a line longer than an entry can carry keeps out, with the first such line in it.
    public static func skippedEntryBundles(logBytes: [UInt8], size: Int) -> [(path: String, seq: Int)] {
        var skipped: [(path: String, seq: Int)] = []
        var start = logBytes.startIndex, seq = 0
        while seq < size, let end = logBytes[start...].firstIndex(of: 0x0A) {
            let index = seq / width
            if end - start > maximumEntryLength, skipped.last.map({ $0.seq / width != index }) ?? true {
                // The bundle of this line at this size: a full one, or the rightmost partial one.
                let bundleWidth = index < size / width ? width : size % width
                skipped.append((Path(kind: .entries, index: index, width: bundleWidth).description, seq))
            }
            start = end + 1
            seq += 1
        }
        return skipped
    }

    /// The entries of an entry bundle as a reader gets it (each a big-endian uint16 length and its bytes), when it
    /// holds exactly `width` of them and nothing after; nil for anything else.
    public static func entries(ofBundle bundle: [UInt8], width: Int) -> [[UInt8]]? {
        var entries: [[UInt8]] = []
        var at = 0
        while at < bundle.count {
            guard entries.count < width, bundle.count - at >= 2 else { return nil }
            let length = Int(bundle[at]) << 8 | Int(bundle[at + 1])
            at += 2
            guard bundle.count - at >= length else { return nil }
            entries.append(Array(bundle[at ..< at + length]))
            at += length
        }
        return entries.count == width ? entries : nil
    }

    /// The tiles as files under `folder` (the log's prefix), for a bundle: each path with its bytes. Bundles that
    /// cannot carry a line (longer than 65,535 bytes) leave that entry bundle out; `skipped` names them.
    public func files() -> (files: [(path: String, bytes: [UInt8])], skipped: [(path: String, seq: Int)]) {
        var files: [(String, [UInt8])] = []
        var skipped: [(String, Int)] = []
        for path in paths {
            switch bytes(path) {
            case .success(let bytes): files.append((path.description, bytes))
            case .failure(.entryTooLong(let seq)): skipped.append((path.description, seq))
            case .failure(.beyondTree): continue
            }
        }
        return (files, skipped)
    }

    /// What is wrong with the tiles stored under `folder/tile` against these (computed from the verified log): a
    /// tile missing, different, or not one the tree at this size has. Empty when the folder holds no tiles at all
    /// (a bundle exported before tiles) or when they are exactly these.
    public func problems(in folder: String) -> [String] {
        let root = Paths.join(folder, "tile")
        guard FileManager.default.fileExists(atPath: root) else { return [] }
        var found: Set<String> = []
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String {
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: Paths.join(root, relative), isDirectory: &isFolder), !isFolder.boolValue {
                    found.insert("tile/" + relative)
                }
            }
        }
        var problems: [String] = []
        for (path, bytes) in files().files {
            found.remove(path)
            // Read as any file a person hands hria is read: a regular file only, and no more than the tile can hold.
            guard FileManager.default.fileExists(atPath: Paths.join(folder, path)) else {
                problems.append("\(path) is missing")
                continue
            }
            let stored: [UInt8]
            do {
                stored = try InputFile.read(Paths.join(folder, path), displayName: path, limit: bytes.count + 1).bytes
            } catch {
                problems.append("\(path) cannot be read: \(error.message)")
                continue
            }
            if stored != bytes { problems.append("\(path) does not hold what the log's checkpointed tree gives") }
        }
        problems += found.sorted().map { "\($0) is not a tile of the log at size \(size)" }
        return problems
    }
}
