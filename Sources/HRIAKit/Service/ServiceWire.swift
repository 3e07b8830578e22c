/// The JSON that `hria serve` and the `hria` command line exchange (api/openapi.yaml names each shape). One
/// encoder and one decoder per shape, both here, so the two ends cannot drift apart.
public enum ServiceWire {
    // MARK: Commands

    /// A command as a request body: `{"command": "comment", "text": …}` and so on. What a person does to an
    /// assessment that exists; an evidence file's bytes follow the command in an upload (`upload(_:file:)`). A move
    /// between workflows names its workflow by name, not as one loaded here: it is `Migration`.
    public static func encode(_ command: Command, allowVoiding: Bool) -> JSONValue? {
        var members: [String: JSONValue]
        switch command {
        case .comment(let text):
            members = ["command": .string("comment"), "text": .string(text)]
        case .setFacts(let facts, let reason):
            members = ["command": .string("fact"), "facts": .array(facts.map { .array([.string($0.name), .string($0.value)]) })]
            if let reason { members["reason"] = .string(reason) }
        case .signoff(let approve, let comment):
            members = ["command": .string("signoff"), "approve": .bool(approve)]
            if let comment { members["comment"] = .string(comment) }
        case .advance(let to, let reason):
            members = ["command": .string("advance")]
            if let to { members["to"] = .string(to) }
            if let reason { members["reason"] = .string(reason) }
        case .addEvidence(let requirement, let fields, let confidential, let file):
            members = ["command": .string("evidence-add"), "requirement": .string(requirement), "fields": pairs(fields)]
            if !confidential.isEmpty { members["confidential"] = pairs(confidential) }
            if let file { members["file"] = Self.file(file) }
        case .updateEvidence(let item, let fields, let file, let note):
            members = ["command": .string("evidence-update"), "item": .int(item), "fields": pairs(fields)]
            if let file { members["file"] = Self.file(file) }
            if let note { members["note"] = .string(note) }
        case .erase(let digest, let reason):
            members = ["command": .string("erase"), "digest": .string(digest), "reason": .string(reason)]
        case .migrate:
            return nil
        }
        if !allowVoiding { members["allow_voiding"] = .bool(false) }
        return .object(members)
    }

    /// The command a request body asks for, and whether it may void sign-offs. A command naming an evidence file is
    /// taken only `withFile`, from an upload that carries the file's bytes.
    public static func command(_ value: JSONValue, withFile: Bool = false) throws(HRIAError) -> (command: Command, allowVoiding: Bool) {
        guard let members = value.objectValue, let name = members["command"]?.stringValue else {
            throw .badInput("the body must be a JSON object naming a command (\(commandNames))")
        }
        func text(_ key: String, required: Bool = false) throws(HRIAError) -> String? {
            guard let found = members[key] else {
                if required { throw .badInput("\(name) needs \(key)") }
                return nil
            }
            guard let string = found.stringValue else { throw .badInput("\(key) must be a string") }
            return string
        }
        let known: Set<String>
        let command: Command
        switch name {
        case "comment":
            known = ["text"]
            command = .comment(try text("text", required: true) ?? "")
        case "fact":
            known = ["facts", "reason"]
            let facts = try pairs(members["facts"], "facts", in: name)
            guard !facts.isEmpty else { throw .badInput("fact needs facts: [[name, value], …]") }
            command = .setFacts(facts, reason: try text("reason"))
        case "signoff":
            known = ["approve", "comment"]
            guard let approve = members["approve"]?.boolValue else { throw .badInput("signoff needs approve: true or false") }
            command = .signoff(approve: approve, comment: try text("comment"))
        case "advance":
            known = ["to", "reason"]
            command = .advance(to: try text("to"), reason: try text("reason"))
        case "evidence-add":
            known = ["requirement", "fields", "confidential", "file"]
            command = .addEvidence(requirement: try text("requirement", required: true) ?? "", fields: try pairs(members["fields"], "fields", in: name),
                                   confidential: try pairs(members["confidential"], "confidential", in: name),
                                   file: try file(members["file"], withFile: withFile))
        case "evidence-update":
            known = ["item", "fields", "file", "note"]
            guard let item = members["item"]?.intValue, item > 0, item < 1 << 48 else { throw .badInput("evidence-update needs item: the item's number") }
            command = .updateEvidence(item: item, fields: try pairs(members["fields"], "fields", in: name),
                                      file: try file(members["file"], withFile: withFile), note: try text("note"))
        case "erase":
            known = ["digest", "reason"]
            command = .erase(digest: try text("digest", required: true) ?? "", reason: try text("reason", required: true) ?? "")
        case "migrate":
            // Read by `Migration.asked` where a move can be prepared; an upload carries evidence only.
            throw .badInput("a move is prepared with POST /api/v1/assessments/ID/prepare, and carries no file")
        default:
            throw .badInput("\"\(DisplayText.escape(name))\" is not a command the server takes", help: commandNames)
        }
        for key in members.keys where key != "command" && key != "allow_voiding" && !known.contains(key) {
            throw .badInput("\(name) takes no \"\(DisplayText.escape(key))\"")
        }
        var allowVoiding = true
        if let given = members["allow_voiding"] {
            guard let flag = given.boolValue else { throw .badInput("allow_voiding must be true or false") }
            allowVoiding = flag
        }
        return (command, allowVoiding)
    }

    static let commandNames = "comment, fact, signoff, advance, evidence-add, evidence-update, erase or migrate"

    private static func pairs(_ list: [(name: String, value: String)]) -> JSONValue {
        .array(list.map { .array([.string($0.name), .string($0.value)]) })
    }

    /// `[[name, value], …]`, both strings; absent is none.
    private static func pairs(_ value: JSONValue?, _ key: String, in command: String) throws(HRIAError) -> [(name: String, value: String)] {
        guard let value else { return [] }
        guard let list = value.arrayValue, list.count <= 1000 else { throw .badInput("\(command): \(key) is a list of [name, value] pairs") }
        var result: [(name: String, value: String)] = []
        for pair in list {
            guard let items = pair.arrayValue, items.count == 2, let name = items[0].stringValue, let value = items[1].stringValue else {
                throw .badInput("\(command): each of \(key) is [name, value], both strings")
            }
            result.append((name, value))
        }
        return result
    }

    private static func file(_ file: EvidenceFile) -> JSONValue {
        .object(["name": .string(file.name), "size": .int(file.size), "sha256": .string(file.sha256)])
    }

    /// An evidence file as a command names it: its name (a file name, nothing of a path), its size and SHA-256.
    private static func file(_ value: JSONValue?, withFile: Bool) throws(HRIAError) -> EvidenceFile? {
        guard let value else { return nil }
        guard withFile else {
            throw .badInput("an evidence file is sent with its command to POST /api/v1/assessments/ID/evidence/prepare",
                            help: "the body there is the command as one line of JSON, a line feed, then the file's bytes")
        }
        guard let name = value["name"]?.stringValue, let size = value["size"]?.intValue, let sha256 = value["sha256"]?.stringValue,
              value.objectValue?.count == 3 else {
            throw .badInput("file is {\"name\": …, \"size\": …, \"sha256\": …}")
        }
        guard isFileName(name) else {
            throw .badInput("\"\(DisplayText.escape(name))\" is not a file name an evidence file can have",
                            help: "a name of at most 255 bytes, without / or control characters, other than . and ..")
        }
        guard size >= 0, size <= Workspace.maximumEvidenceSize else {
            throw .badInput("file size must be from 0 to \(Workspace.maximumEvidenceSize) bytes")
        }
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30 ... 0x39).contains($0) || (0x61 ... 0x66).contains($0) }) else {
            throw .badInput("file sha256 must be 64 lower-case hexadecimal digits")
        }
        return EvidenceFile(sha256: sha256, size: size, name: name)
    }

    /// A name a file can be shown under and never a way to another place: no path separator, no control
    /// character, neither `.` nor `..`, at most 255 bytes.
    public static func isFileName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }
    }

    // MARK: Uploads

    /// An evidence upload's body: the command as one line of JSON, a line feed, then the file's bytes exactly.
    public static func upload(_ command: JSONValue, file: [UInt8]) -> [UInt8] {
        Array(command.rendered(pretty: false).utf8) + [0x0A] + file
    }

    // MARK: Creation

    /// What `hria new` asks for: the workflow (by name, one of the workspace's), the partner, a title, facts.
    public struct Creation: Sendable {
        public var workflow: String
        public var partner: String
        public var title: String?
        public var facts: [(name: String, value: String)]

        public init(workflow: String, partner: String, title: String?, facts: [(name: String, value: String)]) {
            self.workflow = workflow
            self.partner = partner
            self.title = title
            self.facts = facts
        }

        public var json: JSONValue {
            var members: [String: JSONValue] = ["workflow": .string(workflow), "partner": .string(partner), "facts": ServiceWire.pairs(facts)]
            if let title { members["title"] = .string(title) }
            return .object(members)
        }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let members = value.objectValue, let workflow = members["workflow"]?.stringValue, let partner = members["partner"]?.stringValue else {
                throw .badInput("a new assessment is {\"workflow\": …, \"partner\": …, \"title\": …, \"facts\": [[name, value], …]}")
            }
            for key in members.keys where !["workflow", "partner", "title", "facts"].contains(key) {
                throw .badInput("a new assessment takes no \"\(DisplayText.escape(key))\"")
            }
            var title: String?
            if let given = members["title"] {
                guard let text = given.stringValue else { throw .badInput("title must be a string") }
                title = text
            }
            self.init(workflow: workflow, partner: partner, title: title, facts: try ServiceWire.pairs(members["facts"], "facts", in: "new"))
        }
    }

    // MARK: Prepared commands

    /// What the server answers to a prepared command: the lines to sign and where they go.
    public struct Prepared: Sendable, Equatable {
        public var draft: String
        public var size: Int
        public var lines: [[UInt8]]
        public var signaturesRequired: Bool
        public var voided: [String]
        /// The person's approval of this visit of the stage already stands, so a new one counts once (as
        /// `hria signoff` says on a workspace). Absent from the answer when false.
        public var alreadyApproved: Bool
        /// A move between workflows: what `hria migrate` will say once the lines are recorded.
        public var migration: MigrationAnswer?
        /// A roster change: the roles it names that no workflow of the workspace declares, which `hria people`
        /// notes. Absent from the answer when empty.
        public var undeclaredRoles: [String]
        /// A new assessment: what the people of the workspace cannot do at each stage of its workflow (the messages
        /// of the `team` rule), which `hria new` warns of. Absent from the answer when empty.
        public var teamWarnings: [String]

        public init(draft: String, size: Int, lines: [[UInt8]], signaturesRequired: Bool, voided: [String], alreadyApproved: Bool = false,
                    migration: MigrationAnswer? = nil, undeclaredRoles: [String] = [], teamWarnings: [String] = []) {
            self.draft = draft
            self.size = size
            self.lines = lines
            self.signaturesRequired = signaturesRequired
            self.voided = voided
            self.alreadyApproved = alreadyApproved
            self.migration = migration
            self.undeclaredRoles = undeclaredRoles
            self.teamWarnings = teamWarnings
        }

        public var json: JSONValue {
            var members: [String: JSONValue] = [
                "draft": .string(draft), "size": .int(size), "lines": .array(lines.map { .string(String(decoding: $0, as: UTF8.self)) }),
                "signatures_required": .bool(signaturesRequired), "voided": .array(voided.map(JSONValue.string)),
            ]
            if alreadyApproved { members["already_approved"] = .bool(true) }
            if let migration { members["migration"] = migration.value }
            if !undeclaredRoles.isEmpty { members["undeclared_roles"] = .array(undeclaredRoles.map(JSONValue.string)) }
            if !teamWarnings.isEmpty { members["team_warnings"] = .array(teamWarnings.map(JSONValue.string)) }
            return .object(members)
        }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let draft = value["draft"]?.stringValue, let size = value["size"]?.intValue, let lines = value["lines"]?.arrayValue,
                  let required = value["signatures_required"]?.boolValue, let voided = value["voided"]?.arrayValue else {
                throw HRIAError(.internalError, "the server's prepared command is missing fields")
            }
            self.init(draft: draft, size: size, lines: lines.compactMap { $0.stringValue.map { Array($0.utf8) } },
                      signaturesRequired: required, voided: voided.compactMap(\.stringValue),
                      alreadyApproved: value["already_approved"]?.boolValue ?? false,
                      migration: try value["migration"].map { v throws(HRIAError) in try MigrationAnswer(v) },
                      undeclaredRoles: value["undeclared_roles"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                      teamWarnings: value["team_warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    /// A commit: the draft, where it was prepared, and one signature per line ("" for none). At most 4,096 lines:
    /// a roster import adds one event per person (the body's cap bounds it too).
    public static func commit(draft: String, size: Int, signatures: [String]) -> JSONValue {
        .object(["draft": .string(draft), "size": .int(size), "signatures": .array(signatures.map(JSONValue.string))])
    }

    public static func commit(_ value: JSONValue) throws(HRIAError) -> (draft: String, size: Int, signatures: [String]) {
        guard let draft = value["draft"]?.stringValue, draft.utf8.count <= 128, let size = value["size"]?.intValue, size >= 0, size < 1 << 48,
              let list = value["signatures"]?.arrayValue, list.count <= 4096 else {
            throw .badInput("a commit is {\"draft\": …, \"size\": …, \"signatures\": […]}")
        }
        var signatures: [String] = []
        for item in list {
            guard let signature = item.stringValue, signature.count <= 4096 else { throw .badInput("each signature is a base64 string") }
            signatures.append(signature)
        }
        return (draft, size, signatures)
    }

    /// The events recorded, as their lines.
    public static func recorded(_ events: [Event], voided: [String]) -> JSONValue {
        .object(["events": .array(events.map { .string(String(decoding: $0.line, as: UTF8.self)) }), "voided": .array(voided.map(JSONValue.string))])
    }

    public static func recorded(_ value: JSONValue) throws(HRIAError) -> (events: [Event], voided: [String]) {
        guard let lines = value["events"]?.arrayValue else { throw HRIAError(.internalError, "the server's answer names no events") }
        var events: [Event] = []
        for line in lines {
            guard let text = line.stringValue, let event = try? EventLine.decode(Array(text.utf8)) else {
                throw HRIAError(.internalError, "the server answered with a line that does not read as an event")
            }
            events.append(event)
        }
        return (events, value["voided"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    // MARK: Reading

    /// Where an assessment stands, with what `hria status` says beside it on a workspace (`?notes=true`): the output
    /// it prints (text, or its JSON rendered), the warnings of what the people cannot do at the current stage, and the
    /// bytes of an interrupted write at the end of the log. Without them a client would print less than the command.
    /// Beside them, what the command line reads of the assessment's workflow before it sends a command: the
    /// confidential fields of each requirement's evidence type (`hria evidence add --confidential NAME`).
    public struct StatusAnswer: Sendable, Equatable {
        public var output: String
        public var warnings: [Warning]
        public var tornTail: Int
        /// By requirement of the workflow the assessment follows, the confidential fields of its evidence type
        /// (`Workflow.confidentialFieldNames`); nil from a server that does not say.
        public var confidentialFields: [String: Set<String>]?

        public struct Warning: Sendable, Equatable {
            public var message: String
            public var help: String?

            public init(message: String, help: String?) {
                self.message = message
                self.help = help
            }
        }

        public init(output: String, warnings: [Warning], tornTail: Int, confidentialFields: [String: Set<String>]? = nil) {
            self.output = output
            self.warnings = warnings
            self.tornTail = tornTail
            self.confidentialFields = confidentialFields
        }

        public var json: JSONValue {
            var object: [String: JSONValue] = [
                "output": .string(output), "torn_tail_bytes": .int(tornTail),
                "warnings": .array(warnings.map { warning in
                    .object(["message": .string(warning.message)].merging(warning.help.map { ["help": .string($0)] } ?? [:]) { a, _ in a })
                }),
            ]
            if let confidentialFields {
                object["confidential_fields"] = .object(confidentialFields.mapValues { .array($0.sorted().map(JSONValue.string)) })
            }
            return .object(object)
        }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let output = value["output"]?.stringValue, let tail = value["torn_tail_bytes"]?.intValue, tail >= 0,
                  let warnings = value["warnings"]?.arrayValue else {
                throw HRIAError(.internalError, "the server's status answer is missing fields")
            }
            var read: [Warning] = []
            for item in warnings {
                guard let message = item["message"]?.stringValue else { throw HRIAError(.internalError, "the server's status answer has a warning with no message") }
                read.append(Warning(message: message, help: item["help"]?.stringValue))
            }
            var fields: [String: Set<String>]?
            if let object = value["confidential_fields"]?.objectValue {
                fields = [:]
                for (requirement, names) in object {
                    guard let names = names.arrayValue?.compactMap(\.stringValue) else {
                        throw HRIAError(.internalError, "the server's status answer lists the confidential fields of \(DisplayText.escape(requirement)) in a form hria cannot read")
                    }
                    fields?[requirement] = Set(names)
                }
            }
            self.init(output: output, warnings: read, tornTail: tail, confidentialFields: fields)
        }
    }

    /// An inclusion proof with the workspace's log verifier key (`prove?format=json`), so that `hria prove --output`
    /// through a server can say how to check the file, as it does on a workspace.
    public struct ProofAnswer: Sendable, Equatable {
        public var proof: [UInt8]
        public var logKey: String

        public init(proof: [UInt8], logKey: String) {
            self.proof = proof
            self.logKey = logKey
        }

        public var json: JSONValue {
            .object(["proof": .string(String(decoding: proof, as: UTF8.self)), "log_key": .string(logKey)])
        }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let proof = value["proof"]?.stringValue, let key = value["log_key"]?.stringValue else {
                throw HRIAError(.internalError, "the server's proof answer is missing fields")
            }
            self.init(proof: Array(proof.utf8), logKey: key)
        }
    }

    // MARK: Refusals

    public static func refusal(_ refusal: RefusalText) -> JSONValue {
        .object(["summary": .string(refusal.summary),
                 "blockers": .array(refusal.blockers.map { blocker in
                     .object(["description": .string(blocker.description)].merging(blocker.next.map { ["next": .string($0)] } ?? [:]) { a, _ in a })
                 }),
                 "unset_facts": .array(refusal.unsetFacts.map { .object(["name": .string($0.name), "command": .string($0.command)]) }),
                 "voids_signoffs": .bool(refusal.voidsSignoffs)])
    }

    public static func refusal(_ value: JSONValue) -> RefusalText? {
        guard let summary = value["summary"]?.stringValue, let blockers = value["blockers"]?.arrayValue else { return nil }
        return RefusalText(summary: summary,
                           blockers: blockers.compactMap { item in item["description"]?.stringValue.map { ($0, item["next"]?.stringValue) } },
                           unsetFacts: (value["unset_facts"]?.arrayValue ?? []).compactMap { item in
                               guard let name = item["name"]?.stringValue, let command = item["command"]?.stringValue else { return nil }
                               return (name, command)
                           },
                           voidsSignoffs: value["voids_signoffs"]?.boolValue ?? false)
    }
}
