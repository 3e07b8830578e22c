/// `hria workflow show`: a workflow in plain words, for the people who run and approve assessments.
public enum WorkflowDescription {
    public static func render(_ workflow: Workflow, file: String, sha256: String) -> String {
        var out = "\(workflow.title)\n"
        out += "\(workflow.id), version \(workflow.version) · \(file) · sha256 \(sha256.prefix(16))…\n"
        if let description = workflow.description { out += "\n" + wrap(description, indent: "") + "\n" }

        out += "\nRoles\n"
        let roleWidth = workflow.roles.map(\.id.count).max() ?? 0
        for role in workflow.roles {
            out += "  \(pad(role.id, roleWidth))  \(role.description)"
            if let seats = role.seats { out += " (\(seats) \(seats == 1 ? "seat" : "seats"))" }
            out += "\n"
        }
        if !workflow.facts.isEmpty {
            out += "\nFacts\n"
            let width = workflow.facts.map(\.id.count).max() ?? 0
            for fact in workflow.facts {
                out += "  \(pad(fact.id, width))  \(fact.type.inWords)"
                if !fact.setIn.isEmpty { out += "; set only in " + fact.setIn.map(\.value).joined(separator: ", ") }
                if let rule = workflow.setCondition(of: fact.id) { out += "; set only when \(rule.displayText)" }
                if let d = fact.description { out += " — \(d)" }
                out += "\n"
            }
        }
        if !workflow.evidenceTypes.isEmpty {
            out += "\nEvidence types\n"
            let width = workflow.evidenceTypes.map(\.id.count).max() ?? 0
            for type in workflow.evidenceTypes {
                var parts: [String] = []
                let open = type.fields.filter { !$0.confidential }
                if !open.isEmpty {
                    parts.append("fields " + open.map { "\($0.name) (\($0.type.notation)\($0.optional ? ", optional" : ""))" }.joined(separator: ", "))
                }
                let confidential = type.fields.filter(\.confidential)
                if !confidential.isEmpty {
                    parts.append("confidential " + confidential.map(\.name).joined(separator: ", ")
                                 + " (only a salted digest enters the log)")
                }
                switch type.file {
                case .required: parts.append("a file is required")
                case .none: parts.append("no file")
                case .optional: break
                }
                if type.hasLifecycle {
                    parts.append("can be updated later; open until status is " + type.closedStatuses.joined(separator: " or "))
                }
                out += "  \(pad(type.id, width))  " + (parts.isEmpty ? "no fields" : parts.joined(separator: "; "))
                if let d = type.description { out += " — \(d)" }
                out += "\n"
            }
        }

        out += "\nStages, starting at \(workflow.initial.value)\n"
        var number = 0
        for stage in workflow.stages where !stage.terminal {
            number += 1
            out += "\n\(number). \(stage.displayTitle) [\(stage.id)]\n"
            if let d = stage.description { out += wrap(d, indent: "   ") + "\n" }
            var line = ["owner: \(stage.owner?.value ?? "?")"]
            if let deadline = stage.deadline { line.append("deadline: \(deadline.inWords) after entering") }
            if let visits = stage.maxVisits { line.append("at most \(visits) \(visits == 1 ? "visit" : "visits")") }
            out += "   " + line.joined(separator: " · ") + "\n"
            if !stage.requirements.isEmpty {
                out += "   Requires:\n"
                for r in stage.requirements { out += "     - \(requirementInWords(r))\n" }
            }
            if !stage.signoffs.isEmpty {
                out += "   Sign-off before leaving:\n"
                for s in stage.signoffs { out += "     - \(signoffInWords(s))\n" }
            }
            out += "   Then, the first that applies:\n"
            for t in stage.transitions {
                let target = workflow.stage(t.to.value).map { $0.terminal ? "\($0.id) (ends: \($0.outcome ?? $0.id))" : $0.id } ?? t.to.value
                var text = t.when.map { "to \(target) when \($0.displayText)" } ?? "otherwise to \(target)"
                if let d = t.description { text += " — \(d)" }
                out += "     → \(text)\n"
            }
        }
        let terminals = workflow.stages.filter(\.terminal)
        if !terminals.isEmpty {
            out += "\nEnds\n"
            let width = terminals.map(\.id.count).max() ?? 0
            for stage in terminals {
                out += "  \(pad(stage.id, width))  outcome \(stage.outcome ?? "?")"
                if let title = stage.title { out += " — \(title)" }
                out += "\n"
            }
        }
        return out
    }

    static func requirementInWords(_ r: Requirement) -> String {
        var text = "\(r.id): "
        switch r.min {
        case 0: text += "\(r.type.value) (optional)"
        case 1: text += "one \(r.type.value)"
        default: text += "at least \(r.min) × \(r.type.value)"
        }
        if let age = r.maxAge { text += ", none older than \(age.inWords)" }
        if let when = r.when { text += ", only when \(when.displayText)" }
        if let d = r.description { text += " — \(d)" }
        return text
    }

    static func signoffInWords(_ s: SignoffRule) -> String {
        let roles = s.roles.map(\.value)
        let who = roles.count == 1 ? roles[0] : roles.dropLast().joined(separator: ", ") + " or " + roles.last!
        var text = s.quorum == 1 ? "1 approval from \(who)" : "\(s.quorum) approvals from different people holding \(who)"
        if s.separationOfDuties { text += "; not the owner's role, nor anyone who recorded evidence or facts here" }
        if let when = s.when { text += "; only when \(when.displayText)" }
        if let d = s.description { text += " — \(d)" }
        return text
    }

    static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

    /// Wraps prose at about 100 columns so long descriptions stay readable in a terminal.
    static func wrap(_ text: String, indent: String) -> String {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = indent
            for word in paragraph.split(separator: " ") {
                if line.count > indent.count, line.count + word.count + 1 > 100 {
                    lines.append(line)
                    line = indent
                }
                line += (line.count > indent.count ? " " : "") + word
            }
            lines.append(line)
        }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
