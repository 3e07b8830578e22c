import Foundation
import HRIAKit

/// Who the roster lists, for the command line as a client of `hria serve`: a request is signed with the person's own
/// key, so a person whose key this user does not hold cannot ask the signed routes anything. Whether the roster lists
/// them at all is public all the same: the server publishes the roster's log on the tlog-tiles read path.
extension ServerClient {
    /// The most events of the roster's log read to say who is on it: 256 entry bundles.
    static let publishedRosterLimit = 256 * LogTiles.width

    /// The roster as the server publishes its log under `/logs/_roster/`, read without a signature as anyone may read
    /// it, and nil when it cannot be read so (no roster yet, a server that does not publish it, anything malformed).
    ///
    /// Used only to word a refusal that happens anyway, as the workspace words it: the command cannot act as a person
    /// whose key it does not hold, or whom the server turned away. What can be checked here is: the entries are
    /// exactly those the checkpoint's root hash covers, and each is an event the roster's rules admit in turn. The
    /// checkpoint's signature is not (the command line pins no log key for this), so the roster is the server's word,
    /// and nothing but that refusal's words is decided by it. The whole roster is read, so the id asked about is never
    /// sent; what is printed of it is what the workspace prints (the closest id among the people on it now, or their
    /// ids), never a name.
    static func publishedRoster(base: String) -> Roster? {
        guard let reply = try? fetchPublic(base: base, "/logs/_roster/checkpoint"), reply.status == 200,
              let checkpoint = unverifiedCheckpoint(reply.body), checkpoint.origin.hasSuffix("/_roster"),
              checkpoint.size > 0, checkpoint.size <= publishedRosterLimit else { return nil }
        var lines: [[UInt8]] = []
        for index in 0 ... (checkpoint.size - 1) / LogTiles.width {
            let width = min(LogTiles.width, checkpoint.size - index * LogTiles.width)
            let path = LogTiles.Path(kind: .entries, index: index, width: width)
            guard let bundle = try? fetchPublic(base: base, "/logs/_roster/\(path)"), bundle.status == 200,
                  let entries = LogTiles.entries(ofBundle: bundle.body, width: width) else { return nil }
            lines += entries
        }
        guard Merkle.rootHash(leafHashes: lines.map { Merkle.leafHash($0) }) == checkpoint.rootHash else { return nil }
        var roster = Roster()
        for line in lines {
            do {
                try roster.admit(try EventLine.decode(line))
            } catch {
                return nil
            }
        }
        return roster
    }

    /// The checkpoint a signed note's text holds, its signatures left unchecked. A checkpoint's text has no blank
    /// line, so the first one ends it.
    static func unverifiedCheckpoint(_ note: [UInt8]) -> Checkpoint? {
        guard let blank = note.indices.dropLast().first(where: { note[$0] == 0x0A && note[$0 + 1] == 0x0A }) else { return nil }
        return try? Checkpoint.parse(body: String(decoding: note[...blank], as: UTF8.self))
    }

    /// When the roster the server publishes does not let `person` act (not on it, or removed from it), the error the
    /// command line gives for them on a workspace; nil otherwise, or when it cannot be read.
    static func notActing(_ person: String, base: String) -> HRIAError? {
        guard let roster = publishedRoster(base: base) else { return nil }
        do {
            _ = try Workspace.actingMember(person, roster: roster)
            return nil
        } catch {
            return error
        }
    }
}
