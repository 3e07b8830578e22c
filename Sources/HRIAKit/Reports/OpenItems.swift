import Foundation

extension OpenItem {
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
                // A command that pastes into a shell as it is: one closing value, the others in words.
                let others = item.closing.dropFirst()
                lines.append("      hria evidence update \(id) \(item.seq) --field status=\(item.closing.first ?? "")"
                             + (others.isEmpty ? "" : " (or status " + others.joined(separator: " or ") + ";")
                             + (others.isEmpty ? " (or" : "") + " --field due=YYYY-MM-DD to re-plan it)")
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
