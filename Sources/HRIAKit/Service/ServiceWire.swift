/// The JSON that `hria serve` and the `hria` command line exchange (api/openapi.yaml names each shape). One
/// encoder and one decoder per shape, both here, so the two ends cannot drift apart.
public enum ServiceWire {
    // MARK: Commands

    /// A command as a request body: `{"command": "comment", "text": …}` and so on. Only what a person does to a
    /// running assessment; evidence files, erasure and moves between workflows stay on the workspace for now.
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
        case .addEvidence, .updateEvidence, .erase, .migrate:
            return nil
        }
        if !allowVoiding { members["allow_voiding"] = .bool(false) }
        return .object(members)
    }

    /// The command a request body asks for, and whether it may void sign-offs.
    public static func command(_ value: JSONValue) throws(HRIAError) -> (command: Command, allowVoiding: Bool) {
        guard let members = value.objectValue, let name = members["command"]?.stringValue else {
            throw .badInput("the body must be a JSON object naming a command (comment, fact, signoff or advance)")
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
            guard let list = members["facts"]?.arrayValue, !list.isEmpty else { throw .badInput("fact needs facts: [[name, value], …]") }
            var facts: [(name: String, value: String)] = []
            for pair in list {
                guard let items = pair.arrayValue, items.count == 2, let factName = items[0].stringValue, let factValue = items[1].stringValue else {
                    throw .badInput("each fact is [name, value], both strings")
                }
                facts.append((factName, factValue))
            }
            command = .setFacts(facts, reason: try text("reason"))
        case "signoff":
            known = ["approve", "comment"]
            guard let approve = members["approve"]?.boolValue else { throw .badInput("signoff needs approve: true or false") }
            command = .signoff(approve: approve, comment: try text("comment"))
        case "advance":
            known = ["to", "reason"]
            command = .advance(to: try text("to"), reason: try text("reason"))
        default:
            throw .badInput("\"\(DisplayText.escape(name))\" is not a command the server takes", help: "comment, fact, signoff or advance")
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

        public init(draft: String, size: Int, lines: [[UInt8]], signaturesRequired: Bool, voided: [String], alreadyApproved: Bool = false) {
            self.draft = draft
            self.size = size
            self.lines = lines
            self.signaturesRequired = signaturesRequired
            self.voided = voided
            self.alreadyApproved = alreadyApproved
        }

        public var json: JSONValue {
            var members: [String: JSONValue] = [
                "draft": .string(draft), "size": .int(size), "lines": .array(lines.map { .string(String(decoding: $0, as: UTF8.self)) }),
                "signatures_required": .bool(signaturesRequired), "voided": .array(voided.map(JSONValue.string)),
            ]
            if alreadyApproved { members["already_approved"] = .bool(true) }
            return .object(members)
        }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let draft = value["draft"]?.stringValue, let size = value["size"]?.intValue, let lines = value["lines"]?.arrayValue,
                  let required = value["signatures_required"]?.boolValue, let voided = value["voided"]?.arrayValue else {
                throw HRIAError(.internalError, "the server's prepared command is missing fields")
            }
            self.init(draft: draft, size: size, lines: lines.compactMap { $0.stringValue.map { Array($0.utf8) } },
                      signaturesRequired: required, voided: voided.compactMap(\.stringValue),
                      alreadyApproved: value["already_approved"]?.boolValue ?? false)
        }
    }

    /// A commit: the draft, where it was prepared, and one signature per line ("" for none).
    public static func commit(draft: String, size: Int, signatures: [String]) -> JSONValue {
        .object(["draft": .string(draft), "size": .int(size), "signatures": .array(signatures.map(JSONValue.string))])
    }

    public static func commit(_ value: JSONValue) throws(HRIAError) -> (draft: String, size: Int, signatures: [String]) {
        guard let draft = value["draft"]?.stringValue, draft.utf8.count <= 128, let size = value["size"]?.intValue, size >= 0, size < 1 << 48,
              let list = value["signatures"]?.arrayValue, list.count <= 64 else {
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
    public struct StatusAnswer: Sendable, Equatable {
        public var output: String
        public var warnings: [Warning]
        public var tornTail: Int

        public struct Warning: Sendable, Equatable {
            public var message: String
            public var help: String?

            public init(message: String, help: String?) {
                self.message = message
                self.help = help
            }
        }

        public init(output: String, warnings: [Warning], tornTail: Int) {
            self.output = output
            self.warnings = warnings
            self.tornTail = tornTail
        }

        public var json: JSONValue {
            .object(["output": .string(output), "torn_tail_bytes": .int(tornTail),
                     "warnings": .array(warnings.map { warning in
                         .object(["message": .string(warning.message)].merging(warning.help.map { ["help": .string($0)] } ?? [:]) { a, _ in a })
                     })])
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
            self.init(output: output, warnings: read, tornTail: tail)
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
