import Yams

/// The workspace's `hria.yaml`: organisation, log origin and key, people and policies.
public struct WorkspaceConfiguration: Sendable {
    public static let schema = "hria.workspace/v1"

    public var organisation: String
    /// The log origin; each assessment's checkpoints use `<origin>/<assessment id>`.
    public var origin: String
    /// The verifier key string (`name+hash+base64`) of the workspace's log key.
    public var logKey: String?
    public var people: [Person]
    /// When true, every event must carry its actor's signature.
    public var requireSignatures: Bool
    /// How long a writer waits for another writer's lock before giving up (exit 4).
    public var lockTimeoutSeconds: Int
    /// Where assessments are kept when not in files: `postgresql://USER@HOST:PORT/DB` (docs/STORE.md). Never a password.
    public var store: String?

    public func person(_ id: String) -> Person? { people.first { $0.id == id } }

    /// Reads hria.yaml; problems come back as diagnostics with positions, like a workflow's.
    public static func load(text: String, fileName: String) -> (WorkspaceConfiguration?, [Diagnostic]) {
        let source = SourceText(fileName: fileName, text: text)
        let document = YAMLDocument.compose(source)
        guard let root = document.root else {
            var diagnostics = document.diagnostics
            if diagnostics.isEmpty {
                diagnostics.append(Diagnostic(.missingKey, file: fileName, at: SourceLocation(line: 1, column: 1), pointer: "",
                                              message: "hria.yaml is empty", help: "create one with hria init"))
            }
            return (nil, diagnostics)
        }
        var reader = NodeReader(source: source, setAsideKeys: document.setAsideKeys)
        var configuration = WorkspaceConfiguration(organisation: "", origin: "", logKey: nil, people: [],
                                                   requireSignatures: false, lockTimeoutSeconds: 10)
        if let top = reader.mapping(root, "", what: "hria.yaml",
                                    keys: ["schema", "organisation", "origin", "log_key", "store", "people", "policies"],
                                    required: ["schema", "organisation", "origin"]) {
            if let s = top["schema"], let schema = reader.text(s.value, s.pointer, what: "schema"), schema != Self.schema {
                reader.report(.unknownSchema, s.value, s.pointer, "unknown schema \"\(schema)\"",
                              help: "this version of hria reads schema: \(Self.schema)")
            }
            if let o = top["organisation"] { configuration.organisation = reader.text(o.value, o.pointer, what: "organisation") ?? "" }
            if let o = top["origin"], let origin = reader.text(o.value, o.pointer, what: "origin") {
                configuration.origin = origin
                if !isOrigin(origin) {
                    reader.report(.invalidValue, o.value, o.pointer, "\"\(origin)\" is not a usable log origin",
                                  help: "use a name like example.org/hria: no spaces, no +, not empty")
                }
            }
            if let k = top["log_key"] { configuration.logKey = reader.text(k.value, k.pointer, what: "log_key") }
            if let k = top["store"], let store = reader.text(k.value, k.pointer, what: "store") {
                if let problem = StoreAddress.problem(store, inConfiguration: true) {
                    reader.report(.invalidValue, k.value, k.pointer, problem.message, help: problem.help)
                } else {
                    configuration.store = store
                }
            }
            if let p = top["people"] {
                for entry in reader.namedEntries(p.value, p.pointer, what: "people") {
                    let span = reader.span(entry.keyNode, entry.pointer)
                    if !Person.isValidID(entry.key) {
                        reader.report(.invalidID, span, "\"\(entry.key)\" is not a valid person id",
                                      help: "use lower-case letters, digits, ., _ and -, starting with a letter")
                    }
                    var person = Person(id: entry.key, name: entry.key, roles: [], key: nil)
                    if let fields = reader.mapping(entry.value, entry.pointer, what: "person \"\(entry.key)\"",
                                                   keys: ["name", "roles", "key"], required: ["roles"], missingAt: entry.keyNode) {
                        if let n = fields["name"] { person.name = reader.text(n.value, n.pointer, what: "a name") ?? entry.key }
                        if let r = fields["roles"], let roles = reader.sequence(r.value, r.pointer, what: "roles") {
                            person.roles = roles.compactMap { reader.identifier($0.node, $0.pointer, what: "role name")?.value }
                        }
                        if let k = fields["key"] { person.key = reader.text(k.value, k.pointer, what: "key") }
                    }
                    configuration.people.append(person)
                }
            }
            if let p = top["policies"], let fields = reader.mapping(p.value, p.pointer, what: "policies",
                                                                    keys: ["require_signatures", "lock_timeout_seconds"], required: []) {
                if let r = fields["require_signatures"] {
                    configuration.requireSignatures = reader.bool(r.value, r.pointer, what: "require_signatures") ?? false
                }
                if let t = fields["lock_timeout_seconds"], let seconds = reader.int(t.value, t.pointer, what: "lock_timeout_seconds") {
                    if seconds < 0 || seconds > 3600 {
                        reader.report(.invalidValue, t.value, t.pointer, "lock_timeout_seconds must be between 0 and 3600")
                    } else {
                        configuration.lockTimeoutSeconds = seconds
                    }
                }
            }
        }
        let diagnostics = (document.diagnostics + reader.diagnostics).sortedByPosition()
        return (diagnostics.hasErrors ? nil : configuration, diagnostics)
    }

    static func isOrigin(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && $0 != "+" }
    }
}
