import Foundation

/// Why the engine will not do what was asked, in the words of the people who asked. It knows nothing of exit
/// codes or command-line flags: the command line maps each case to the contract's exit code and adds the hint
/// of which option to use (`--partner`, `--field`, …).
public enum EngineError: Error, Sendable {
    /// The rules refuse (a blocked advance, a missing role, separation of duties): every blocker is named.
    case refused(Refusal)
    /// What was asked cannot be read as asked: an unknown name, a malformed or missing value.
    case invalid(InvalidRequest)
    /// The assessment contradicts its own pinned workflow, which a log that verified cannot do.
    case inconsistent(String)

    public var description: String {
        switch self {
        case .refused(let refusal): refusal.summary
        case .invalid(let request): request.description
        case .inconsistent(let what): what
        }
    }
}

/// A value typed for a fact or a field that its type does not allow.
public struct ValueProblem: Error, Sendable, Equatable {
    public var message: String
    /// The allowed value closest to what was typed, if one is close.
    public var suggestion: String?

    public init(_ message: String, suggestion: String? = nil) {
        self.message = message
        self.suggestion = suggestion
    }
}

/// A request the engine cannot read as asked, with what a person needs to put it right.
public enum InvalidRequest: Sendable, Equatable {
    case assessmentID(String)
    case blankPartner
    /// The clock is behind the log's last event.
    case clockBehind(now: Date, lastEvent: Date)
    case erasureWithoutReason
    case alreadyErased(digest: String)
    case migrationWithoutReason
    case alreadyOnWorkflow(String, version: Int)
    case noFacts
    case unknownFact(name: String, workflow: String, suggestion: String?, facts: [String])
    case factGivenTwice(String)
    case value(ValueProblem)
    case unknownRequirement(id: String, workflow: String, suggestion: String?, stage: String, stageRequires: [String])
    case requirementOfAnotherStage(id: String, declaredIn: String, stage: String, stageRequires: [String])
    case unknownField(name: String, evidenceType: String, suggestion: String?, fields: [String])
    case confidentialFieldInClear(String)
    case clearFieldAsConfidential(String)
    case fieldGivenTwice(String)
    case blankRequiredField(name: String, confidential: Bool)
    /// A confidential value of the wrong type; the value itself is never repeated.
    case confidentialValue(field: String, expected: String)
    /// `fields` in the order the type declares them; `confidential` names those of them that are confidential.
    case missingFields(evidenceType: String, fields: [String], confidential: [String])
    case fileRequired(evidenceType: String)
    case fileNotAllowed(evidenceType: String)
    case rejectionWithoutReason
    case emptyComment
    case unknownStage(name: String, suggestion: String?)
    /// No evidence was recorded by event `#seq`.
    case unknownItem(Int)
    case noLifecycle(item: Int, requirement: String, evidenceType: String)
    case noFieldsToUpdate
    case notUpdatable(field: String, item: Int)

    /// The name closest to the one given, when the request names something unknown or a value not allowed.
    public var suggestion: String? {
        switch self {
        case .unknownFact(_, _, let suggestion, _), .unknownRequirement(_, _, let suggestion, _, _), .unknownField(_, _, let suggestion, _),
             .unknownStage(_, let suggestion):
            suggestion
        case .value(let problem): problem.suggestion
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .assessmentID(let id): "\"\(id)\" is not a valid assessment id"
        case .blankPartner: "the partner's name is empty"
        case .clockBehind(let now, let last):
            "the clock says \(Timestamp.format(now)), earlier than the log's last event (\(Timestamp.format(last)))"
        case .erasureWithoutReason: "an erasure needs a reason"
        case .alreadyErased(let digest): "the value with digest \(digest) was already erased"
        case .migrationWithoutReason: "a move to another workflow version needs a reason"
        case .alreadyOnWorkflow(let id, let version): "the assessment already follows this file of \(id) version \(version)"
        case .noFacts: "give at least one NAME=VALUE"
        case .unknownFact(let name, let workflow, _, _): "unknown fact \"\(name)\" in workflow \(workflow)"
        case .factGivenTwice(let name): "fact \(name) is given twice"
        case .value(let problem): problem.message
        case .unknownRequirement(let id, let workflow, _, _, _): "unknown requirement \"\(id)\" in workflow \(workflow)"
        case .requirementOfAnotherStage(let id, let declaredIn, let stage, _):
            "requirement \(id) belongs to stage \(declaredIn), but the assessment is at \(stage)"
        case .unknownField(let name, let type, _, _): "evidence type \(type) has no field \"\(name)\""
        case .confidentialFieldInClear(let name): "field \(name) is confidential: it must be given as confidential so it stays out of the log"
        case .clearFieldAsConfidential(let name): "field \(name) is not confidential"
        case .fieldGivenTwice(let name): "field \(name) is given twice"
        case .blankRequiredField(let name, _): "field \(name) is required, so it cannot be blank"
        case .confidentialValue(let field, let expected): "the confidential field \(field) must be \(expected); the value given is not (not shown)"
        case .missingFields(let type, let fields, _):
            "evidence of type \(type) needs the field\(fields.count == 1 ? "" : "s") " + fields.joined(separator: ", ")
        case .fileRequired(let type): "evidence of type \(type) needs a file"
        case .fileNotAllowed(let type): "evidence of type \(type) takes no file"
        case .rejectionWithoutReason: "a rejection needs a reason"
        case .emptyComment: "the comment is empty"
        case .unknownStage(let name, _): "unknown stage \"\(name)\""
        case .unknownItem(let seq): "no evidence was recorded by event #\(seq)"
        case .noLifecycle(let item, let requirement, let type):
            "evidence #\(item) (\(requirement)) cannot be updated: its type \(type) has no lifecycle; record new evidence instead"
        case .noFieldsToUpdate: "give at least one field to change"
        case .notUpdatable(let field, let item): "field \(field) of evidence #\(item) cannot be updated: only its status, due date and owner can"
        }
    }
}
