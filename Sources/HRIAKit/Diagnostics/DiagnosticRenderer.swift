import Foundation

/// Renders diagnostics as text (actionlint/rustc style) or as the JSON array of the command-line contract.
public enum DiagnosticRenderer {
    /// Longest source line shown whole in a snippet.
    static let maximumSnippetWidth = 160

    /// One diagnostic with its source snippet and caret, as docs/WORKFLOW-LANGUAGE.md shows under "Lint rules".
    public static func text(_ diagnostic: Diagnostic, source: SourceText?) -> String {
        let d = diagnostic
        var out = "\(d.file):\(d.location.line):\(d.location.column): \(d.severity.rawValue)[\(d.rule)]: \(d.message)\n"
        if let source, !source.text.isEmpty, d.location.line >= 1, d.location.line <= source.lines.count {
            let number = String(d.location.line)
            let gutter = String(repeating: " ", count: number.count + 1)
            var scalars = Array(source.lines[d.location.line - 1])
            var column = d.location.column
            // A very long line is shown as a window around the problem, marked with ellipses.
            if scalars.count > maximumSnippetWidth {
                let start = max(0, min(column - 1 - 60, scalars.count - maximumSnippetWidth))
                let end = min(scalars.count, start + maximumSnippetWidth)
                let lead: [Unicode.Scalar] = start > 0 ? ["…"] : []
                let trail: [Unicode.Scalar] = end < scalars.count ? ["…"] : []
                scalars = lead + scalars[start..<end] + trail
                column = column - start + lead.count
            }
            var line = String.UnicodeScalarView()
            line.append(contentsOf: scalars)
            out += "\(gutter)|\n"
            out += "\(number) | \(String(line))\n"
            // Copy tabs from the source line so the caret lines up however wide the reader's tabs are.
            var prefix = ""
            for i in 0..<max(0, column - 1) {
                prefix += (i < scalars.count && scalars[i] == "\t") ? "\t" : " "
            }
            let available = max(1, scalars.count - (column - 1))
            let span = min(d.length, available)
            out += "\(gutter)| \(prefix)^\(String(repeating: "~", count: max(0, span - 1)))\n"
        }
        if let help = d.help {
            let pad = String(repeating: " ", count: String(d.location.line).count + 1)
            out += "\(pad)= help: \(help)\n"
        }
        return out
    }

    /// The closing count line: `3 problems (2 errors, 1 warning)`.
    public static func summary(_ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.errorCount, warnings = diagnostics.warningCount
        let total = errors + warnings
        return "\(total) \(total == 1 ? "problem" : "problems") (\(errors) \(errors == 1 ? "error" : "errors"), "
            + "\(warnings) \(warnings == 1 ? "warning" : "warnings"))"
    }

    /// The JSON array `[{file, line, column, severity, rule, message, pointer, help}]`, keys sorted.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        let items: [JSONValue] = diagnostics.map { d in
            .object([
                "file": .string(d.file),
                "line": .int(d.location.line),
                "column": .int(d.location.column),
                "severity": .string(d.severity.rawValue),
                "rule": .string(d.rule),
                "message": .string(d.message),
                "pointer": .string(d.pointer),
                "help": d.help.map(JSONValue.string) ?? .null,
            ])
        }
        return JSONValue.array(items).rendered(pretty: true)
    }
}
