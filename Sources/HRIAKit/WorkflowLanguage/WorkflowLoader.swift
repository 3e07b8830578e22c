import Foundation

/// The result of loading a workflow file: the workflow when it has no errors, and every diagnostic.
public struct WorkflowLoadResult: Sendable {
    public var workflow: Workflow?
    public var diagnostics: [Diagnostic]
    public var source: SourceText
    /// What the decoder read, which a compiled form keeps; nil when the file did not get that far.
    var syntax: WorkflowSyntax? = nil
}

/// Loads workflow files: bytes → UTF-8 text → YAML nodes → model → checks. The whole pipeline is pure.
public enum WorkflowLoader {
    public static let maximumFileSize = 8 * 1024 * 1024

    /// Edit-distance cells the suggestions of one load may spend (about a tenth of a second); past that, problems
    /// are reported without "did you mean".
    static let suggestionBudget = 40_000_000

    /// Loads a workflow from the bytes of a file; `fileName` is how diagnostics name it.
    public static func load(bytes: [UInt8], fileName: String) -> WorkflowLoadResult {
        Suggestions.withBudget(cells: suggestionBudget) { loadWithinBudget(bytes: bytes, fileName: fileName) }
    }

    static func loadWithinBudget(bytes: [UInt8], fileName: String) -> WorkflowLoadResult {
        if bytes.count > maximumFileSize {
            let source = SourceText(fileName: fileName, text: "")
            let diagnostic = Diagnostic(.fileTooLarge, file: fileName, at: SourceLocation(line: 1, column: 1), pointer: "",
                                        message: "the file is larger than \(maximumFileSize / 1024 / 1024) MiB, the most a workflow may be")
            return WorkflowLoadResult(workflow: nil, diagnostics: [diagnostic], source: source)
        }
        switch SourceDecoding.decode(bytes) {
        case .success(let text):
            return loadText(text, fileName: fileName)
        case .failure(let bad):
            let source = SourceText(fileName: fileName, text: "")
            let hex = String(bad.byte, radix: 16, uppercase: true)
            let diagnostic = Diagnostic(.yamlSyntax, file: fileName, at: bad.location, pointer: "",
                                        message: "the file is not valid UTF-8 (byte 0x\(hex.count == 1 ? "0" : "")\(hex) at offset \(bad.byteOffset))",
                                        help: "save the file as UTF-8")
            return WorkflowLoadResult(workflow: nil, diagnostics: [diagnostic], source: source)
        }
    }

    /// Loads a workflow from text.
    public static func load(text: String, fileName: String) -> WorkflowLoadResult {
        Suggestions.withBudget(cells: suggestionBudget) { loadText(text, fileName: fileName) }
    }

    static func loadText(_ text: String, fileName: String) -> WorkflowLoadResult {
        let source = SourceText(fileName: fileName, text: text)
        let document = YAMLDocument.compose(source)
        var diagnostics = document.diagnostics
        guard let root = document.root else {
            if diagnostics.isEmpty {
                diagnostics.append(Diagnostic(.missingKey, file: fileName, at: SourceLocation(line: 1, column: 1), pointer: "",
                                              message: "the file is empty",
                                              help: "a workflow starts with schema: hria.workflow/v1"))
            }
            return WorkflowLoadResult(workflow: nil, diagnostics: diagnostics.sortedByPosition(), source: source)
        }
        var decoder = WorkflowDecoder(source: source, setAsideKeys: document.setAsideKeys)
        let syntax = decoder.decode(root)
        diagnostics += decoder.reader.diagnostics
        var checker = WorkflowChecker(file: fileName)
        let checked = checker.check(syntax)
        diagnostics += checker.diagnostics
        let sorted = diagnostics.sortedByPosition()
        return WorkflowLoadResult(workflow: sorted.hasErrors ? nil : checked, diagnostics: sorted, source: source, syntax: syntax)
    }
}
