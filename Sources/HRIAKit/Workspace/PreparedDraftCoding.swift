import Foundation

/// The exact byte form of a prepared command and of a prepared roster change, for a server that keeps its drafts
/// where every instance on the same database can take them (docs/SERVER.md, "Several instances on one database").
/// What is read back is equal to what was written, byte for byte where bytes were given: the unsigned lines the
/// client signs, the files, the disclosures' encoded form, a new workflow's file. Each event draft travels as its
/// canonical line (EventLine, the one encoding of events) with its moment kept apart to the fraction of a second.
/// A move's workflow travels as its file and is checked again when read (the checker alone makes a Workflow).
/// Only hria writes these bytes; any that do not read back whole are refused, never half trusted.
extension PreparedCommand {
    /// The form's version: a reader refuses any other.
    static let encodingVersion = 1

    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.int(Self.encodingVersion)
        writer.string(id)
        writer.string(actor)
        writer.int(size)
        writer.blob(head.bytes)
        writer.optional(rosterSize) { $0.int($1) }
        writer.bool(signaturesRequired)
        writer.array(drafts) { $0.draft($1) }
        writer.array(disclosures) { $0.string($1.encoded) }
        writer.array(voided) { $0.string($1) }
        writer.array(files.keys.sorted()) { writer, sha256 in
            writer.string(sha256)
            writer.blob(files[sha256]?.bytes ?? [])
            writer.int(Int(files[sha256]?.permissions ?? 0))
        }
        writer.array(unsignedLines) { $0.blob($1) }
        writer.array(erasing) { $0.string($1) }
        writer.optional(creating) { $0.blob($1) }
        writer.optional(moving) { writer, target in
            writer.blob(target.bytes)
            writer.string(target.sha256)
            writer.string(target.displayName)
        }
        return writer.bytes
    }

    /// What `encoded()` wrote; a move's workflow is loaded from its file again (through `workflows` when given, which
    /// keeps checked workflows by their SHA-256).
    public init(encoded bytes: [UInt8], workflows: WorkflowMemo? = nil) throws(HRIAError) {
        var reader = ByteReader(bytes)
        let moving: (bytes: [UInt8], sha256: String, displayName: String)?
        do throws(ByteReader.Damaged) {
            guard try reader.int() == Self.encodingVersion else { throw ByteReader.Damaged() }
            let id = try reader.string(), actor = try reader.string(), size = try reader.int()
            guard let head = SHA256Hash(bytes: try reader.blob()) else { throw ByteReader.Damaged() }
            let rosterSize = try reader.optional { reader throws(ByteReader.Damaged) in try reader.int() }
            let signaturesRequired = try reader.bool()
            let drafts = try reader.array { reader throws(ByteReader.Damaged) in try reader.draft() }
            let disclosures = try reader.array { reader throws(ByteReader.Damaged) in try reader.disclosure() }
            let voided = try reader.array { reader throws(ByteReader.Damaged) in try reader.string() }
            let fileList = try reader.array { reader throws(ByteReader.Damaged) -> (String, InputFile) in
                let sha256 = try reader.string(), bytes = try reader.blob(), permissions = try reader.int()
                guard let bits = UInt32(exactly: permissions) else { throw ByteReader.Damaged() }
                return (sha256, InputFile(bytes: bytes, permissions: bits))
            }
            var files: [String: InputFile] = [:]
            for (sha256, file) in fileList {
                guard files.updateValue(file, forKey: sha256) == nil else { throw ByteReader.Damaged() }
            }
            let unsignedLines = try reader.array { reader throws(ByteReader.Damaged) in try reader.blob() }
            let erasing = try reader.array { reader throws(ByteReader.Damaged) in try reader.string() }
            let creating = try reader.optional { reader throws(ByteReader.Damaged) in try reader.blob() }
            moving = try reader.optional { reader throws(ByteReader.Damaged) -> (bytes: [UInt8], sha256: String, displayName: String) in
                (try reader.blob(), try reader.string(), try reader.string())
            }
            guard reader.atEnd, moving.map({ Digest.sha256Hex($0.bytes) == $0.sha256 }) != false else { throw ByteReader.Damaged() }
            self.init(id: id, actor: actor, size: size, head: head, rosterSize: rosterSize, signaturesRequired: signaturesRequired, drafts: drafts,
                      disclosures: disclosures, voided: voided, files: files, unsignedLines: unsignedLines, erasing: erasing, creating: creating)
        } catch {
            throw PreparedDraftDamaged.error
        }
        if let moving {
            let workflow = workflows.flatMap { $0.workflow(bytes: moving.bytes, sha256: moving.sha256, fileName: moving.displayName) }
                ?? WorkflowLoader.load(bytes: moving.bytes, fileName: moving.displayName).workflow
            guard let workflow else {
                throw HRIAError(.internalError, "the workflow \(moving.displayName) a kept draft moves to no longer loads", help: "prepare the move again")
            }
            self.moving = MigrationTarget(workflow: workflow, sha256: moving.sha256, bytes: moving.bytes, displayName: moving.displayName)
        }
    }
}

extension PreparedRosterChange {
    static let encodingVersion = 1

    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.int(Self.encodingVersion)
        writer.string(actor)
        writer.int(size)
        writer.blob(head.bytes)
        writer.array(drafts) { $0.draft($1) }
        writer.array(disclosures) { $0.string($1.encoded) }
        writer.array(unsignedLines) { $0.blob($1) }
        writer.array(undeclaredRoles) { $0.string($1) }
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws(HRIAError) {
        var reader = ByteReader(bytes)
        do throws(ByteReader.Damaged) {
            guard try reader.int() == Self.encodingVersion else { throw ByteReader.Damaged() }
            let actor = try reader.string(), size = try reader.int()
            guard let head = SHA256Hash(bytes: try reader.blob()) else { throw ByteReader.Damaged() }
            let drafts = try reader.array { reader throws(ByteReader.Damaged) in try reader.draft() }
            let disclosures = try reader.array { reader throws(ByteReader.Damaged) in try reader.disclosure() }
            let unsignedLines = try reader.array { reader throws(ByteReader.Damaged) in try reader.blob() }
            let undeclaredRoles = try reader.array { reader throws(ByteReader.Damaged) in try reader.string() }
            guard reader.atEnd else { throw ByteReader.Damaged() }
            self.init(actor: actor, size: size, head: head, drafts: drafts, disclosures: disclosures, unsignedLines: unsignedLines,
                      undeclaredRoles: undeclaredRoles)
        } catch {
            throw PreparedDraftDamaged.error
        }
    }
}

/// A kept draft that does not read back.
enum PreparedDraftDamaged {
    static let error = HRIAError(.internalError, "a kept draft does not read back as hria wrote it", help: "prepare the command again")
}

extension ByteWriter {
    /// An event draft: its canonical line (at seq 0, after the zero hash: the line's place is not the draft's) and its
    /// moment's exact bits, since the line keeps only whole seconds.
    mutating func draft(_ draft: EventDraft) {
        blob(EventLine.encode(draft, seq: 0, prev: .zero))
        double(draft.time.timeIntervalSince1970)
    }
}

extension ByteReader {
    mutating func draft() throws(ByteReader.Damaged) -> EventDraft {
        let line = try blob()
        let time = try double()
        guard var draft = try? EventLine.decode(line).draft, Timestamp.format(Date(timeIntervalSince1970: time)) == Timestamp.format(draft.time) else {
            throw Damaged()
        }
        draft.time = Date(timeIntervalSince1970: time)
        return draft
    }

    mutating func disclosure() throws(ByteReader.Damaged) -> Disclosure {
        guard let disclosure = Disclosure(encoded: try string()) else { throw Damaged() }
        return disclosure
    }
}

extension MigrationTarget: Equatable {
    /// The workflow is what its file makes of it: equal files, equal targets.
    public static func == (lhs: MigrationTarget, rhs: MigrationTarget) -> Bool {
        lhs.sha256 == rhs.sha256 && lhs.bytes == rhs.bytes && lhs.displayName == rhs.displayName
    }
}
