/// Every rule the workflow linter knows, with a stable id (the raw value) and a fixed severity.
public enum LintRule: String, CaseIterable, Sendable {
    case yamlSyntax = "yaml-syntax"
    case fileTooLarge = "file-too-large"
    case yamlAliasLimit = "yaml-alias-limit"
    case duplicateKey = "duplicate-key"
    case unknownKey = "unknown-key"
    case missingKey = "missing-key"
    case wrongType = "wrong-type"
    case yaml11Bool = "yaml11-bool"
    case unknownSchema = "unknown-schema"
    case invalidID = "invalid-id"
    case invalidValue = "invalid-value"
    case invalidDuration = "invalid-duration"
    case duplicateRequirement = "duplicate-requirement"
    case undefinedStage = "undefined-stage"
    case undefinedRole = "undefined-role"
    case undefinedFact = "undefined-fact"
    case undefinedEvidenceType = "undefined-evidence-type"
    case undefinedEvidence = "undefined-evidence"
    case undefinedField = "undefined-field"
    case terminalStageKeys = "terminal-stage-keys"
    case defaultNotLast = "default-not-last"
    case unreachableStage = "unreachable-stage"
    case deadEnd = "dead-end"
    case noTerminalReachable = "no-terminal-reachable"
    case guardSyntax = "guard-syntax"
    case guardType = "guard-type"
    case enumValue = "enum-value"
    case quorumImpossible = "quorum-impossible"
    case separationImpossible = "separation-impossible"
    case constantGuard = "constant-guard"
    case unboundedLoop = "unbounded-loop"
    case unusedRole = "unused-role"
    case unusedFact = "unused-fact"
    case unusedEvidenceType = "unused-evidence-type"
    case reportRole = "report-role"
    case lifecycle = "lifecycle"

    public var severity: Severity {
        switch self {
        case .constantGuard, .unboundedLoop, .unusedRole, .unusedFact, .unusedEvidenceType: .warning
        default: .error
        }
    }
}
