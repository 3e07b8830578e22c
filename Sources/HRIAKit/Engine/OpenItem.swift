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
            // Only what counts: items of the latest visit of their stage, as guards and the report read them (a plan
            // recorded again on a later visit replaces the earlier one).
            let latestVisit = item.stage == state.stage ? state.visit : state.visits[item.stage]
            guard item.visit == latestVisit, let type = workflow.evidenceType(item.type), type.isOpen(item.fields) else { return nil }
            var status: String?, owner: String?
            if case .string(let s)? = item.fields["status"] { status = s }
            if case .string(let o)? = item.fields["owner"] { owner = o }
            return OpenItem(seq: item.seq, requirement: item.requirement, type: item.type, status: status, owner: owner,
                            due: type.due(item.fields), closing: type.closedStatuses)
        }
    }
}
