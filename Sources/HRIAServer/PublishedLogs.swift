import Foundation
import HRIAKit

/// The logs the server publishes on the C2SP tlog-tiles read path: each assessment's, and the roster's under the
/// name `_roster` (no assessment id can spell it). What is served is only ever read from a log that verifies, at
/// the size of its latest checkpoint, and the tiles' root is checked against that checkpoint before any is given.
struct PublishedLog: Sendable {
    /// The latest checkpoint, as stored (a C2SP signed note).
    var checkpoint: [UInt8]
    var tiles: LogTiles
}

/// Tiles already computed, by log and checkpoint: a request that finds the log's latest checkpoint unchanged
/// reuses them instead of reading the log again. Bounded by the lines it holds; the least recently used go first.
final class TileMemo: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private var entries: [String: (checkpoint: [UInt8], tiles: LogTiles, bytes: Int)] = [:]
    private var order: [String] = []
    private var held = 0
    let limit: Int

    init(limit: Int = 256 << 20) {
        self.limit = limit
    }

    func find(_ name: String, checkpoint: [UInt8]) -> LogTiles? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[name], entry.checkpoint == checkpoint else { return nil }
        order.removeAll { $0 == name }
        order.append(name)
        return entry.tiles
    }

    func remember(_ name: String, checkpoint: [UInt8], tiles: LogTiles, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        if let old = entries.removeValue(forKey: name) { held -= old.bytes }
        order.removeAll { $0 == name }
        while held + bytes > limit, let oldest = order.first {
            order.removeFirst()
            held -= entries.removeValue(forKey: oldest)?.bytes ?? 0
        }
        guard bytes <= limit else { return }
        entries[name] = (checkpoint, tiles, bytes)
        order.append(name)
        held += bytes
    }
}

extension PublishedLog {
    /// The name under which the roster's log is published.
    static let rosterName = "_roster"

    /// The log published as `name`, as it verifiably stands now. Unknown names are 404; a log that does not verify
    /// is an integrity error (500), and nothing of it is served.
    static func read(_ name: String, from workspace: Workspace, memo: TileMemo) throws -> PublishedLog {
        // An append may land between reading the log and its checkpoint; the checkpoint is then newer than the
        // lines read, and both are read again.
        for _ in 0 ..< 5 {
            let found: (checkpoint: [UInt8], verified: Checkpoint, lines: () throws -> [UInt8])?
            if name == rosterName {
                found = try roster(workspace)
            } else {
                found = try assessment(name, workspace)
            }
            guard let found else { continue }
            if let tiles = memo.find(name, checkpoint: found.checkpoint) { return PublishedLog(checkpoint: found.checkpoint, tiles: tiles) }
            let bytes = try found.lines()
            let tiles = LogTiles(logBytes: bytes, size: found.verified.size)
            guard tiles.size == found.verified.size else { continue }
            guard tiles.rootHash == found.verified.rootHash else {
                throw HRIAError(.integrity, "the latest checkpoint of \(name) does not match its log", help: "run hria verify")
            }
            memo.remember(name, checkpoint: found.checkpoint, tiles: tiles, bytes: bytes.count + tiles.size * 64)
            return PublishedLog(checkpoint: found.checkpoint, tiles: tiles)
        }
        throw HRIAError(.busy, "\(name) kept changing while it was read", help: "try again")
    }

    private static func assessment(_ id: String, _ workspace: Workspace) throws -> ([UInt8], Checkpoint, () throws -> [UInt8])? {
        guard try workspace.holds(id) else {
            throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here")
        }
        let standing = try workspace.standing(id)
        let record = workspace.log(id)
        let trust = try workspace.trust(for: id)
        guard let latest = record.latestCheckpoint() else {
            throw HRIAError(.integrity, "\(id) has no checkpoint", help: "run hria verify \(id)")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint.open(latest, verifier: trust.verifier, expectedOrigin: trust.origin)
        } catch {
            throw HRIAError(.integrity, "the latest checkpoint of \(id) does not verify: \(error)", help: "run hria verify \(id)")
        }
        guard checkpoint.size <= standing.position.eventCount else { return nil }
        return (latest, checkpoint, { try record.logBytes(upTo: standing.position) })
    }

    private static func roster(_ workspace: Workspace) throws -> ([UInt8], Checkpoint, () throws -> [UInt8])? {
        guard let standing = try workspace.roster() else {
            throw Problem.notFound("this workspace has no roster yet")
        }
        let files = workspace.rosterLog.files
        guard let latest = CheckpointFiles(log: files).latest() else {
            throw HRIAError(.integrity, "the roster has no checkpoint", help: "run hria verify --roster")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint.open(latest, verifier: try workspace.logVerifier(), expectedOrigin: workspace.rosterOrigin)
        } catch {
            throw HRIAError(.integrity, "the roster's latest checkpoint does not verify: \(error)", help: "run hria verify --roster")
        }
        guard checkpoint.size <= standing.position.eventCount else { return nil }
        return (latest, checkpoint, { try workspace.fs.readAll(files.logPath) })
    }
}
