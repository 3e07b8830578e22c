import Foundation

/// An assessment's history as the rules allow it, built one event at a time against its pinned workflow: the
/// engine records new events through it, and every reader of a log (the commands' fold and `verify`) admits the
/// recorded events through it. There is no other way to move an `AssessmentState` forward.
public struct AssessmentHistory: Sendable {
    /// The workflow the next event is judged by: the one pinned at the start, or the one the latest
    /// `workflow.migrated` moved to.
    public private(set) var workflow: Workflow
    public private(set) var state: AssessmentState
    /// The workflows a `workflow.migrated` may move to, by the SHA-256 of their file: the snapshots kept in the
    /// assessment's folder (`workflows/SHA256.yaml`).
    public var snapshots: [String: Workflow] = [:]

    /// Starts a history with its first event, which must create the assessment on `workflow`, whose file has the
    /// SHA-256 `workflowSHA256`.
    public init(first: EventDraft, workflow: Workflow, workflowSHA256: String) throws(Refusal) {
        try EventRules.judgeFirst(first, workflow: workflow, workflowSHA256: workflowSHA256)
        self.workflow = workflow
        state = AssessmentState()
        state.fold(first, seq: 0, workflow: workflow)
    }

    /// Picks a history up from a state it reached before (a snapshot bound to the log it summarises).
    public init(workflow: Workflow, resuming state: AssessmentState, snapshots: [String: Workflow] = [:]) {
        self.workflow = workflow
        self.state = state
        self.snapshots = snapshots
    }

    /// Records the next event if the rules allow it; otherwise throws their refusal and changes nothing.
    public mutating func record(_ draft: EventDraft) throws(Refusal) {
        try EventRules.judge(draft, state: state, workflow: workflow)
        let target = try migrationTarget(draft)
        state.fold(draft, seq: state.size, workflow: workflow)
        if let target { workflow = target }
    }

    /// For a move to another workflow, the workflow it moves to, once the move's rules hold.
    private func migrationTarget(_ draft: EventDraft) throws(Refusal) -> Workflow? {
        guard case .workflowMigrated(let p) = draft.payload else { return nil }
        let target = snapshots[p.to.sha256]
        try EventRules.judgeMigration(p, state: state, from: workflow, to: target)
        return target
    }

    /// Admits a recorded event: it must be the next one and one the rules allow at that point.
    public mutating func admit(_ event: Event) throws(HistoryViolation) {
        try admit(event, checkedAlone: false)
    }

    /// The same, where the rules an event satisfies by itself were already checked (`checkAlone`): `verify` checks
    /// those on every core and the rest in order.
    mutating func admit(_ event: Event, checkedAlone: Bool) throws(HistoryViolation) {
        guard event.seq == state.size else {
            throw HistoryViolation(seq: event.seq, reason: "expected event \(state.size), found \(event.seq)")
        }
        let target: Workflow?
        do {
            if !checkedAlone { try EventRules.judgeAlone(event.draft, workflow: workflow) }
            try EventRules.judgeInContext(event.draft, state: state, workflow: workflow)
            target = try migrationTarget(event.draft)
        } catch {
            throw HistoryViolation(seq: event.seq, reason: error.inWords)
        }
        state.fold(event.draft, seq: state.size, workflow: workflow)
        if let target { workflow = target }
    }

    /// Whether the history keeps nothing of an event of this type but its place: its time, stage and count.
    static func isInert(_ type: EventType) -> Bool { type == .commentAdded || type == .recoveryTruncated }

    /// Admits an event of an inert type (`isInert`) whose own rules `checkAlone` has checked, from only what the
    /// history needs of it: `verify` passes these on without the whole event.
    mutating func admitInert(seq: Int, type: EventType, stage: String, time: Date) throws(HistoryViolation) {
        guard seq == state.size else { throw HistoryViolation(seq: seq, reason: "expected event \(state.size), found \(seq)") }
        do {
            try EventRules.judgePlace(type, stage: stage, time: time, state: state)
        } catch {
            throw HistoryViolation(seq: seq, reason: error.inWords)
        }
        state.foldInert(time: time)
    }

    /// `admit` after `checkAlone`, as `verify` runs it in order.
    @_spi(Benchmarks) public mutating func admitChecked(_ event: Event) throws(HistoryViolation) {
        try admit(event, checkedAlone: true)
    }

    /// The rules a recorded event (not the first) satisfies or not by itself, given the workflow.
    @_spi(Benchmarks) public static func checkAlone(_ event: Event, workflow: Workflow) -> HistoryViolation? {
        do {
            try EventRules.judgeAlone(event.draft, workflow: workflow)
            return nil
        } catch {
            return HistoryViolation(seq: event.seq, reason: error.inWords)
        }
    }

    /// Reads a whole log: its first event must create the assessment on `workflow`.
    public static func replay(_ events: some Sequence<Event>, workflow: Workflow, workflowSHA256: String,
                              snapshots: [String: Workflow] = [:]) throws(HistoryViolation) -> AssessmentHistory {
        var iterator = events.makeIterator()
        guard let first = iterator.next() else { throw HistoryViolation(seq: 0, reason: "the log holds no event") }
        guard first.seq == 0 else { throw HistoryViolation(seq: first.seq, reason: "expected event 0, found \(first.seq)") }
        var history: AssessmentHistory
        do {
            history = try AssessmentHistory(first: first.draft, workflow: workflow, workflowSHA256: workflowSHA256)
            history.snapshots = snapshots
        } catch {
            throw HistoryViolation(seq: 0, reason: error.inWords)
        }
        while let event = iterator.next() { try history.admit(event) }
        return history
    }
}

extension Refusal {
    /// The refusal on one line: its summary and every blocker.
    public var inWords: String {
        blockers.isEmpty ? summary : summary + ": " + blockers.map(\.description).joined(separator: "; ")
    }
}
