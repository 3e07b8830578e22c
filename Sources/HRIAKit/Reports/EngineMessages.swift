// The command line's reading of the engine's errors: the exit code of the contract for each, and the hint that
// names the option to use. The engine says what is wrong; only here is it said which flag puts it right.

extension EngineError {
    /// The error as the command line reports it; a refusal is reported by `Output.refusal` instead.
    public var commandLineError: HRIAError {
        switch self {
        case .refused(let refusal): HRIAError(.refused, refusal.summary)
        case .inconsistent(let what): HRIAError(.integrity, what, help: "run hria verify")
        case .invalid(let request): HRIAError(.badInput, request.commandLineMessage, help: request.commandLineHelp)
        }
    }
}

extension InvalidRequest {
    /// The message, with the flag named where the engine's words cannot name it.
    public var commandLineMessage: String {
        switch self {
        case .confidentialFieldInClear(let name): "field \(name) is confidential: give it with --confidential so it stays out of the log"
        case .clearFieldAsConfidential(let name): "field \(name) is not confidential: give it with --field"
        default: description
        }
    }

    public var commandLineHelp: String? {
        let didYouMean = suggestion.map { "did you mean \"\($0)\"?" }
        func requires(_ stage: String, _ ids: [String]) -> String {
            ids.isEmpty ? "stage \(stage) requires no evidence" : "stage \(stage) requires: " + ids.joined(separator: ", ")
        }
        switch self {
        case .assessmentID: return "use lower-case letters, digits and -, starting with a letter or digit, at most 64 characters"
        case .blankPartner: return "name the partner with --partner"
        case .clockBehind: return "check the system clock, or HRIA_NOW"
        case .erasureWithoutReason, .migrationWithoutReason: return "add --reason \"why\""
        case .alreadyOnWorkflow: return "nothing to move: hria status shows the version an assessment follows"
        case .unknownFact(_, _, _, let facts): return didYouMean ?? "its facts are " + facts.joined(separator: ", ")
        case .value: return didYouMean
        case .unknownRequirement(_, _, _, let stage, let ids): return didYouMean ?? requires(stage, ids)
        case .requirementOfAnotherStage(_, _, let stage, let ids): return requires(stage, ids)
        case .unknownField(_, _, _, let fields): return didYouMean ?? "its fields are " + fields.joined(separator: ", ")
        case .blankRequiredField(let name, let confidential): return "give its value, as --\(confidential ? "confidential" : "field") \(name)=..."
        case .missingFields(_, let fields, let confidential):
            let clear = fields.filter { !confidential.contains($0) }
            var parts: [String] = []
            if !clear.isEmpty { parts.append(clear.map { "--field \($0)=..." }.joined(separator: " ")) }
            if !confidential.isEmpty { parts.append(confidential.map { "--confidential \($0)=..." }.joined(separator: " ")) }
            return "add " + parts.joined(separator: " ")
        case .fileRequired: return "attach it with --file PATH"
        case .fileNotAllowed: return "remove --file"
        case .rejectionWithoutReason: return "add --comment \"what must change\""
        case .unknownStage: return didYouMean
        case .unknownItem: return "hria log ID shows each item's number (#N after \"added evidence\")"
        case .noLifecycle: return "add the corrected item with hria evidence add"
        case .noFieldsToUpdate: return "for example --field status=done"
        case .notUpdatable: return "to change what it says, record a new item with hria evidence add"
        case .alreadyErased, .noFacts, .factGivenTwice, .confidentialFieldInClear, .clearFieldAsConfidential, .fieldGivenTwice,
             .confidentialValue, .emptyComment:
            return nil
        }
    }
}
