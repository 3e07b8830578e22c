/// The wire shapes of the changes that are not acts on an assessment's stage: moving an assessment to another workflow
/// (`hria migrate`) and changing the roster (`hria people …`). Beside ServiceWire's others, one encoder and one decoder
/// per shape, so the server and the command line cannot drift apart.
extension ServiceWire {
    // MARK: Moves between workflows

    /// `hria migrate ID --to NAME --reason TEXT [--map OLD=NEW]… [--dry-run]`, as a prepare body:
    /// `{"command": "migrate", "to": NAME, "stages": {OLD: NEW}, "reason": …, "dry_run": true}`. The workflow is one
    /// of the workspace's, by name: a server never reads a path a request makes up.
    public struct Migration: Sendable, Equatable {
        public var to: String
        public var stages: [String: String]
        public var reason: String
        public var dryRun: Bool

        public init(to: String, stages: [String: String], reason: String, dryRun: Bool) {
            self.to = to
            self.stages = stages
            self.reason = reason
            self.dryRun = dryRun
        }

        public var json: JSONValue {
            var members: [String: JSONValue] = ["command": .string("migrate"), "to": .string(to), "reason": .string(reason),
                                                "stages": .object(stages.mapValues(JSONValue.string))]
            if dryRun { members["dry_run"] = .bool(true) }
            return .object(members)
        }

        /// The move a prepare body asks for; nil when it asks for another command (which `ServiceWire.command` reads).
        public static func asked(in value: JSONValue) throws(HRIAError) -> Migration? {
            guard let members = value.objectValue, members["command"]?.stringValue == "migrate" else { return nil }
            for key in members.keys where !["command", "to", "stages", "reason", "dry_run"].contains(key) {
                throw .badInput("migrate takes no \"\(DisplayText.escape(key))\"")
            }
            guard let to = members["to"]?.stringValue else { throw .badInput("migrate needs to: the name of one of the workspace's workflows") }
            guard let reason = members["reason"]?.stringValue else { throw .badInput("migrate needs reason") }
            var stages: [String: String] = [:]
            if let given = members["stages"] {
                guard let map = given.objectValue, map.count <= 1000 else { throw .badInput("migrate: stages is an object {OLD: NEW}") }
                for (old, new) in map {
                    guard let new = new.stringValue, !old.isEmpty, !new.isEmpty else {
                        throw .badInput("migrate: stages maps each stage of the current version to a stage name of the new one")
                    }
                    stages[old] = new
                }
            }
            var dryRun = false
            if let given = members["dry_run"] {
                guard let flag = given.boolValue else { throw .badInput("dry_run must be true or false") }
                dryRun = flag
            }
            return Migration(to: to, stages: stages, reason: reason, dryRun: dryRun)
        }
    }

    /// What `hria migrate` prints of a move, made where the move is decided: the text, and the JSON it prints with
    /// `--json` (rendered, so that it reaches the person byte for byte). A dry run's answer is only this; a prepared
    /// move carries it beside the lines to sign, said of what the commit will record.
    public struct MigrationAnswer: Sendable, Equatable {
        public var text: String
        public var json: String

        public init(text: String, json: String) {
            self.text = text
            self.json = json
        }

        public var value: JSONValue { .object(["text": .string(text), "json": .string(json)]) }

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let text = value["text"]?.stringValue, let json = value["json"]?.stringValue else {
                throw HRIAError(.internalError, "the server's account of the move is missing fields")
            }
            self.init(text: text, json: json)
        }
    }

    // MARK: Roster changes

    /// A change of the roster as a prepare body (`POST /api/v1/roster/prepare`): one `hria people` command,
    /// `{"command": "add" | "grant" | "revoke" | "key" | "remove" | "require-signatures" | "import", …}`. An import is
    /// decided where hria.yaml is, from its `people:` block.
    public enum RosterChange: Sendable, Equatable {
        case change(RosterCommand)
        case importPeople(publishNames: Bool, name: String?)

        public var json: JSONValue {
            var members: [String: JSONValue]
            switch self {
            case .change(.add(let id, let name, let title, let roles, let key, let publishName, _)):
                members = ["command": .string("add"), "id": .string(id), "name": .string(name), "roles": .array(roles.map(JSONValue.string))]
                if let title { members["title"] = .string(title) }
                if let key { members["key"] = .string(key) }
                if publishName { members["publish_name"] = .bool(true) }
            case .change(.grant(let id, let role, let reason)):
                members = ["command": .string("grant"), "id": .string(id), "role": .string(role), "reason": .string(reason)]
            case .change(.revoke(let id, let role, let reason)):
                members = ["command": .string("revoke"), "id": .string(id), "role": .string(role), "reason": .string(reason)]
            case .change(.key(let id, let key, let reason)):
                members = ["command": .string("key"), "id": .string(id), "key": .string(key)]
                if let reason { members["reason"] = .string(reason) }
            case .change(.remove(let id, let reason)):
                members = ["command": .string("remove"), "id": .string(id), "reason": .string(reason)]
            case .change(.requireSignatures(let required, let reason)):
                members = ["command": .string("require-signatures"), "required": .bool(required), "reason": .string(reason)]
            case .importPeople(let publishNames, let name):
                members = ["command": .string("import")]
                if publishNames { members["publish_names"] = .bool(true) }
                if let name { members["name"] = .string(name) }
            }
            return .object(members)
        }

        static let names = "add, grant, revoke, key, remove, require-signatures or import"

        public init(_ value: JSONValue) throws(HRIAError) {
            guard let members = value.objectValue, let name = members["command"]?.stringValue else {
                throw .badInput("the body must be a JSON object naming a roster change (\(Self.names))")
            }
            func text(_ key: String, required: Bool = true) throws(HRIAError) -> String? {
                guard let found = members[key] else {
                    if required { throw .badInput("\(name) needs \(key)") }
                    return nil
                }
                guard let string = found.stringValue else { throw .badInput("\(key) must be a string") }
                return string
            }
            func flag(_ key: String) throws(HRIAError) -> Bool? {
                guard let found = members[key] else { return nil }
                guard let value = found.boolValue else { throw .badInput("\(key) must be true or false") }
                return value
            }
            /// A key as `hria people` takes one on the command line: an ssh-ed25519 line, kept without its comment.
            func key(_ given: String) throws(HRIAError) -> String {
                guard let parsed = try? SSHPublicKey(authorizedKey: given), parsed.authorizedKey == given else {
                    throw .badInput("\"\(DisplayText.escape(String(given.prefix(80))))\" is not a usable ssh-ed25519 public key",
                                    help: "give it as ssh-ed25519 AAAA…, without a comment")
                }
                return given
            }
            let known: Set<String>
            switch name {
            case "add":
                known = ["id", "name", "title", "roles", "key", "publish_name"]
                var roles: [String] = []
                if let given = members["roles"] {
                    guard let list = given.arrayValue, list.count <= 1000 else { throw .badInput("add: roles is a list of role names") }
                    for role in list {
                        guard let role = role.stringValue else { throw .badInput("add: roles is a list of role names") }
                        roles.append(role)
                    }
                }
                self = .change(.add(id: try text("id") ?? "", name: try text("name") ?? "", title: try text("title", required: false), roles: roles,
                                    key: try text("key", required: false).map { k throws(HRIAError) in try key(k) },
                                    publishName: try flag("publish_name") ?? false))
            case "grant", "revoke":
                known = ["id", "role", "reason"]
                let (id, role, reason) = (try text("id") ?? "", try text("role") ?? "", try text("reason") ?? "")
                self = .change(name == "grant" ? .grant(id: id, role: role, reason: reason) : .revoke(id: id, role: role, reason: reason))
            case "key":
                known = ["id", "key", "reason"]
                self = .change(.key(id: try text("id") ?? "", key: try key(try text("key") ?? ""), reason: try text("reason", required: false)))
            case "remove":
                known = ["id", "reason"]
                self = .change(.remove(id: try text("id") ?? "", reason: try text("reason") ?? ""))
            case "require-signatures":
                known = ["required", "reason"]
                guard let required = try flag("required") else { throw .badInput("require-signatures needs required: true or false") }
                self = .change(.requireSignatures(required, reason: try text("reason") ?? ""))
            case "import":
                known = ["publish_names", "name"]
                self = .importPeople(publishNames: try flag("publish_names") ?? false, name: try text("name", required: false))
            default:
                throw .badInput("\"\(DisplayText.escape(name))\" is not a roster change the server takes", help: Self.names)
            }
            for key in members.keys where key != "command" && !known.contains(key) {
                throw .badInput("\(name) takes no \"\(DisplayText.escape(key))\"")
            }
        }
    }
}
