import Foundation

/// What `hria migrate` says: the move, the stages renamed, what the assessment now needs that it did not before, and
/// whose approvals no longer count.
public enum MigrationReport {
    public static func text(_ result: MigrationResult, id: String, dryRun: Bool) -> String {
        let from = result.from, target = result.to.inWords(after: result.from)
        var out: String
        if dryRun {
            out = "would move \(id) from \(from.inWords) to \(target) (nothing recorded: --dry-run)\n"
        } else if let event = result.events.last(where: { $0.type == .workflowMigrated }) {
            out = "recorded #\(event.seq): \(id) moved from \(from.inWords) to \(target)\n"
            out += "  the new workflow is kept as \(result.snapshot); the one before stays, and earlier events are judged by it\n"
        } else {
            out = "\(id) moved from \(from.inWords) to \(target)\n"
        }
        let effect = result.effect
        if !effect.renamed.isEmpty {
            out += "  stages renamed: " + effect.renamed.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", ") + "\n"
        }
        if effect.newlyNeeded.isEmpty && effect.newlyUnsetFacts.isEmpty {
            out += "\nnothing more is needed in this stage than before\n"
        } else {
            // Each with the command that supplies it, as status gives them.
            out += "\nnow needed that was not before:\n"
            for blocker in effect.newlyNeeded {
                out += "  - \(blocker.description)\n"
                if let command = StatusReport.command(for: blocker, id: id, workflow: result.workflow) { out += "      \(command)\n" }
            }
            for fact in effect.newlyUnsetFacts {
                out += "  - fact \(fact) is not set, and a transition of the new version reads it\n"
                out += "      \(StatusReport.factCommand(fact, id: id, workflow: result.workflow))\n"
            }
        }
        if !effect.noLongerNeeded.isEmpty {
            out += "\nno longer needed:\n"
            for blocker in effect.noLongerNeeded { out += "  - \(blocker.description)\n" }
        }
        if effect.voidedApprovals.isEmpty {
            out += "\nno approval of this stage is voided\n"
        } else {
            out += "\napprovals that no longer count (given under the old rules; they must sign again):\n"
            for signoff in effect.voidedApprovals {
                out += "  - \(signoff.actor) (as \(signoff.roles.joined(separator: ", ")), #\(signoff.seq))\n"
            }
        }
        return DisplayText.escape(out, keepingLineBreaks: true)
    }

    public static func json(_ result: MigrationResult, dryRun: Bool) -> JSONValue {
        func blockers(_ list: [Blocker]) -> JSONValue {
            .array(list.map { .object(["rule": .string($0.rule), "message": .string($0.description)]) })
        }
        let event = result.events.last { $0.type == .workflowMigrated }
        return .object([
            "dry_run": .bool(dryRun),
            "recorded": event.map { .int($0.seq) } ?? .null,
            "from": result.from.json(), "to": result.to.json(),
            "stages": .object(result.effect.renamed.mapValues(JSONValue.string)),
            "snapshot": dryRun ? .null : .string(result.snapshot),
            "newly_needed": blockers(result.effect.newlyNeeded),
            "newly_unset_facts": .array(result.effect.newlyUnsetFacts.map(JSONValue.string)),
            "no_longer_needed": blockers(result.effect.noLongerNeeded),
            "voided_approvals": .array(result.effect.voidedApprovals.map {
                .object(["actor": .string($0.actor), "roles": .array($0.roles.map(JSONValue.string)), "seq": .int($0.seq)])
            }),
        ])
    }
}
