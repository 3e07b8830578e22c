import Foundation

/// Measures and conditions still open: items of evidence types with a lifecycle (`closed_statuses:`) whose status
/// closes nothing yet. They outlive the stage that recorded them and the end of the assessment, so `status` and
/// `list` show them, and those past their `due` date as overdue, until someone records them done.
public struct OpenItem: Sendable, Hashable {
    /// The event that recorded the item (`hria evidence update ID #seq`).
    public var seq: Int
    public var requirement: String
    public var type: String
    public var status: String?
    public var owner: String?
    public var due: CalendarDate?
    /// The statuses that would close it, as its type declares them.
    public var closing: [String]

    /// Open past its due date on `today`.
    public func isOverdue(on today: CalendarDate) -> Bool { due.map { $0 < today } ?? false }

    /// Every open item of an assessment, in the order recorded.
    public static func of(_ state: AssessmentState, workflow: Workflow) -> [OpenItem] {
        state.evidence.compactMap { item in
            guard let type = workflow.evidenceType(item.type), type.isOpen(item.fields) else { return nil }
            var status: String?, owner: String?
            if case .string(let s)? = item.fields["status"] { status = s }
            if case .string(let o)? = item.fields["owner"] { owner = o }
            return OpenItem(seq: item.seq, requirement: item.requirement, type: item.type, status: status, owner: owner,
                            due: type.due(item.fields), closing: type.closedStatuses)
        }
    }

    /// The status lines `hria status` shows, with the command that closes or re-plans each overdue item.
    static func statusLines(_ items: [OpenItem], id: String, today: CalendarDate) -> [String] {
        guard !items.isEmpty else { return [] }
        let overdue = items.filter { $0.isOverdue(on: today) }
        var lines = ["", "Open measures and conditions (\(items.count), \(overdue.count) overdue)"]
        let width = items.map(\.requirement.count).max() ?? 0
        for item in items {
            var line = "  #\(item.seq)  " + item.requirement.padding(toLength: width, withPad: " ", startingAt: 0)
            line += "  " + (item.due.map { "due \($0)" } ?? "no due date")
            if let status = item.status { line += ", \(status)" }
            if let owner = item.owner { line += ", owner \(owner)" }
            if let due = item.due, due < today { line += "  OVERDUE" }
            lines.append(line)
            if item.isOverdue(on: today) {
                lines.append("      hria evidence update \(id) #\(item.seq) --field status=\(item.closing.joined(separator: "|")) "
                             + "(or --field due=YYYY-MM-DD to re-plan it)")
            }
        }
        return lines
    }

    var json: JSONValue {
        .object(["item": .int(seq), "requirement": .string(requirement), "type": .string(type),
                 "status": status.map(JSONValue.string) ?? .null, "owner": owner.map(JSONValue.string) ?? .null,
                 "due": due.map { .string($0.description) } ?? .null])
    }
}
