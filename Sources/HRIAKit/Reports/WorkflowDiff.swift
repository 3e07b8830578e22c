/// `hria workflow diff A B`: what changed between two workflows, in plain words, for the people who must decide
/// whether a running assessment can move to the new version: stages, requirements (type, min, when, max_age),
/// sign-offs, transitions and their guards, facts, evidence types and roles, each added, removed or changed.
public enum WorkflowDiff {
    public struct Change: Sendable, Equatable {
        public enum Kind: String, Sendable { case added, removed, changed }
        public var kind: Kind
        /// What changed, in words: "stage rerouted", "requirement conditions of stage decision".
        public var subject: String
        /// For a change: from what to what.
        public var detail: String?

        public init(kind: Kind, subject: String, detail: String? = nil) {
            (self.kind, self.subject, self.detail) = (kind, subject, detail)
        }

        /// A change as `json` writes it (a client of a server reads the server's diff so); nil for anything else.
        public init?(json: JSONValue) {
            guard let kind = json["change"]?.stringValue.flatMap(Kind.init(rawValue:)), let subject = json["subject"]?.stringValue else { return nil }
            self.init(kind: kind, subject: subject, detail: json["detail"]?.stringValue)
        }

        public var text: String { "\(kind.rawValue) \(subject)" + (detail.map { ": \($0)" } ?? "") }
        public var json: JSONValue {
            .object(["change": .string(kind.rawValue), "subject": .string(subject), "detail": detail.map(JSONValue.string) ?? .null])
        }
    }

    public static func compare(_ a: Workflow, _ b: Workflow) -> [Change] {
        var changes: [Change] = []
        func changed(_ subject: String, _ what: String, _ old: String, _ new: String) {
            if old != new { changes.append(Change(kind: .changed, subject: subject, detail: "\(what) \(old) → \(new)")) }
        }
        func keyed<T>(_ old: [T], _ new: [T], key: (T) -> String, subject: (String) -> String, compare: (String, T, T) -> Void) {
            let newKeys = Set(new.map(key)), oldKeys = Set(old.map(key))
            for item in old where !newKeys.contains(key(item)) { changes.append(Change(kind: .removed, subject: subject(key(item)))) }
            for item in new where !oldKeys.contains(key(item)) { changes.append(Change(kind: .added, subject: subject(key(item)))) }
            for item in old {
                if let other = new.first(where: { key($0) == key(item) }) { compare(subject(key(item)), item, other) }
            }
        }
        changed("workflow", "id", a.id, b.id)
        changed("workflow", "version", "\(a.version)", "\(b.version)")
        changed("workflow", "title", quoted(a.title), quoted(b.title))
        changed("workflow", "initial stage", a.initial.value, b.initial.value)

        keyed(a.roles, b.roles, key: \.id, subject: { "role \($0)" }) { subject, old, new in
            changed(subject, "seats", old.seats.map(String.init) ?? "unlimited", new.seats.map(String.init) ?? "unlimited")
        }
        keyed(a.facts, b.facts, key: \.id, subject: { "fact \($0)" }) { subject, old, new in
            changed(subject, "type", old.type.inWords, new.type.inWords)
            changed(subject, "set in", list(old.setIn.map(\.value), empty: "any stage"), list(new.setIn.map(\.value), empty: "any stage"))
            changed(subject, "set when", a.setCondition(of: old.id).map { quoted($0.displayText) } ?? "always",
                    b.setCondition(of: new.id).map { quoted($0.displayText) } ?? "always")
            changed(subject, "report role", old.report?.rawValue ?? "none", new.report?.rawValue ?? "none")
        }
        keyed(a.evidenceTypes, b.evidenceTypes, key: \.id, subject: { "evidence type \($0)" }) { subject, old, new in
            keyed(old.fields, new.fields, key: \.name, subject: { "field \($0) of \(subject)" }) { fieldSubject, f, g in
                changed(fieldSubject, "type", f.type.notation + (f.optional ? "?" : ""), g.type.notation + (g.optional ? "?" : ""))
                changed(fieldSubject, "confidential", "\(f.confidential)", "\(g.confidential)")
            }
            changed(subject, "file", old.file.rawValue, new.file.rawValue)
            changed(subject, "report role", old.report?.rawValue ?? "none", new.report?.rawValue ?? "none")
            changed(subject, "closed statuses", list(old.closedStatuses, empty: "none"), list(new.closedStatuses, empty: "none"))
        }
        keyed(a.stages, b.stages, key: \.id, subject: { "stage \($0)" }) { subject, old, new in
            changed(subject, "owner", old.owner?.value ?? "none", new.owner?.value ?? "none")
            changed(subject, "deadline", old.deadline?.text ?? "none", new.deadline?.text ?? "none")
            changed(subject, "visits", old.maxVisits.map(String.init) ?? "unlimited", new.maxVisits.map(String.init) ?? "unlimited")
            changed(subject, "ending", old.terminal ? "outcome \(old.outcome ?? old.id)" : "not terminal",
                    new.terminal ? "outcome \(new.outcome ?? new.id)" : "not terminal")
            keyed(old.requirements, new.requirements, key: \.id, subject: { "requirement \($0) of \(subject)" }) { r, x, y in
                changed(r, "type", x.type.value, y.type.value)
                changed(r, "min", "\(x.min)", "\(y.min)")
                changed(r, "when", x.when.map { quoted($0.displayText) } ?? "always", y.when.map { quoted($0.displayText) } ?? "always")
                changed(r, "max age", x.maxAge?.text ?? "none", y.maxAge?.text ?? "none")
            }
            // A sign-off rule has no name: it is known by the roles that may sign it, and by its place among rules of the
            // same roles.
            func signoffs(_ rules: [SignoffRule]) -> [(key: String, rule: SignoffRule)] {
                var seen: [String: Int] = [:]
                return rules.map { rule in
                    let roles = rule.roles.map(\.value).sorted().joined(separator: "/")
                    let n = seen[roles, default: 0] + 1
                    seen[roles] = n
                    return (n == 1 ? roles : "\(roles) (\(n))", rule)
                }
            }
            keyed(signoffs(old.signoffs), signoffs(new.signoffs), key: \.key, subject: { "sign-off of \($0) in \(subject)" }) { s, x, y in
                changed(s, "quorum", "\(x.rule.quorum)", "\(y.rule.quorum)")
                changed(s, "when", x.rule.when.map { quoted($0.displayText) } ?? "always", y.rule.when.map { quoted($0.displayText) } ?? "always")
                changed(s, "separation of duties", "\(x.rule.separationOfDuties)", "\(y.rule.separationOfDuties)")
            }
            // A transition is known by its target, and by its place among transitions to the same target.
            func numbered(_ transitions: [Transition]) -> [(key: String, transition: Transition)] {
                var seen: [String: Int] = [:]
                return transitions.map { t in
                    let n = seen[t.to.value, default: 0] + 1
                    seen[t.to.value] = n
                    return (n == 1 ? t.to.value : "\(t.to.value) (\(n))", t)
                }
            }
            keyed(numbered(old.transitions), numbered(new.transitions), key: \.key, subject: { "transition to \($0) from \(subject)" }) { t, x, y in
                changed(t, "when", x.transition.when.map { quoted($0.displayText) } ?? "otherwise",
                        y.transition.when.map { quoted($0.displayText) } ?? "otherwise")
            }
            let oldOrder = old.transitions.map(\.to.value).filter { target in new.transitions.contains { $0.to.value == target } }
            let newOrder = new.transitions.map(\.to.value).filter { target in old.transitions.contains { $0.to.value == target } }
            changed(subject, "order of transitions", oldOrder.joined(separator: ", "), newOrder.joined(separator: ", "))
        }
        return changes
    }

    /// What `hria workflow diff --json` prints.
    public static func json(_ changes: [Change], from a: String, to b: String) -> JSONValue {
        .object(["from": .string(a), "to": .string(b), "same": .bool(changes.isEmpty), "changes": .array(changes.map(\.json))])
    }

    /// The error of `hria workflow diff --assessment ID` without a new workflow, when the workspace holds no copy of
    /// the assessment's workflow that loads.
    public static func noCurrentCopy(of workflow: String, assessment: String) -> HRIAError {
        .badInput("the workspace has no workflows/\(workflow).yaml that loads",
                  help: "give the new workflow: hria workflow diff --assessment \(assessment) FILE")
    }

    public static func text(_ changes: [Change], from a: String, to b: String) -> String {
        guard !changes.isEmpty else { return "\(a) and \(b) are the same workflow\n" }
        return "\(changes.count) change\(changes.count == 1 ? "" : "s") from \(a) to \(b)\n"
            + changes.map { "  " + DisplayText.escape($0.text) + "\n" }.joined()
    }

    static func quoted(_ text: String) -> String { "'\(text)'" }
    static func list(_ items: [String], empty: String) -> String { items.isEmpty ? empty : items.joined(separator: ", ") }
}
