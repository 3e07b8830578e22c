import Foundation

/// Anything that knows where an assessment stands: its pinned workflow and its folded state.
public protocol AssessmentStanding: Sendable {
    var id: String { get }
    var workflow: Workflow { get }
    var state: AssessmentState { get }
}

extension AssessmentStanding {
    /// When the current stage is due: its `deadline` counted from when the assessment entered it; nil for a stage
    /// without one and after the end.
    public var deadline: Date? {
        guard !state.hasEnded, let duration = workflow.stage(state.stage)?.deadline else { return nil }
        return duration.added(to: state.stageEnteredAt)
    }

    public func isOverdue(now: Date) -> Bool {
        deadline.map { now > $0 } ?? false
    }
}
