import Foundation
import HRIAKit

extension HRIAServer {
    /// `hria status` as the command line prints it on the workspace, with what it says on standard error beside it:
    /// the team's warnings for the current stage and an interrupted write at the end of the log.
    static func statusAnswer(_ loaded: CurrentAssessment, evaluation: StageEvaluation, newer: (version: Int, sha256: String)?, now: Date,
                             text: Bool, in workspace: Workspace) throws -> ServiceWire.StatusAnswer {
        let output = text ? StatusReport.text(loaded, evaluation: evaluation, newer: newer, now: now)
            : StatusReport.json(loaded, evaluation: evaluation, newer: newer, now: now).rendered(pretty: true) + "\n"
        let warnings = loaded.teamProblems(people: try workspace.team()).map { ServiceWire.StatusAnswer.Warning(message: $0.message, help: $0.help) }
        return ServiceWire.StatusAnswer(output: output, warnings: warnings, tornTail: loaded.tornTail,
                                        confidentialFields: loaded.workflow.confidentialFieldNames)
    }

    /// Whether `command` is an approval by `actor` of a stage visit they approved already, which counts once: the
    /// command line says so after recording it. Read after the command was prepared: if the assessment moved in
    /// between, the commit is stale and the command prepared again, so the answer always fits what is recorded.
    static func alreadyApproved(_ command: Command, actor: String, id: String, in workspace: Workspace) throws -> Bool {
        guard case .signoff(approve: true, comment: _) = command else { return false }
        return try workspace.current(id).state.standingSignoffs().contains { $0.actor == actor && $0.approve }
    }
}
