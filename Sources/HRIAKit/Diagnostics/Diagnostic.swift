import Foundation

/// How serious a problem is: errors block loading, warnings only fail `--strict` lint runs.
public enum Severity: String, Sendable, Codable, Hashable {
    case error
    case warning
}

/// One problem found in a file, with everything needed to show it to a person or a program.
public struct Diagnostic: Sendable, Hashable {
    public var file: String
    public var location: SourceLocation
    /// How many columns the caret underline spans (at least 1).
    public var length: Int
    public var severity: Severity
    public var rule: String
    public var message: String
    /// JSON Pointer into the document, stable across reformatting.
    public var pointer: String
    public var help: String?

    public init(file: String, location: SourceLocation, length: Int = 1, severity: Severity, rule: String,
                message: String, pointer: String = "", help: String? = nil) {
        self.file = file
        self.location = location
        self.length = max(1, length)
        self.severity = severity
        self.rule = rule
        self.message = message
        self.pointer = pointer
        self.help = help
    }

    /// Creates a diagnostic for a catalogued rule, taking the rule's severity.
    public init(_ rule: LintRule, file: String, at location: SourceLocation, length: Int = 1, pointer: String,
                message: String, help: String? = nil) {
        self.init(file: file, location: location, length: length, severity: rule.severity, rule: rule.rawValue,
                  message: message, pointer: pointer, help: help)
    }
}

extension Array where Element == Diagnostic {
    /// Diagnostics in reading order: file, then line, column, then rule for a stable tie-break.
    public func sortedByPosition() -> [Diagnostic] {
        sorted { a, b in
            if a.file != b.file { return a.file < b.file }
            if a.location != b.location { return a.location < b.location }
            if a.rule != b.rule { return a.rule < b.rule }
            return a.message < b.message
        }
    }

    public var errorCount: Int { filter { $0.severity == .error }.count }
    public var warningCount: Int { filter { $0.severity == .warning }.count }
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
