import Foundation
import Yams

/// A composed YAML document: the node tree (every node keeps its line and column) and the problems met
/// while composing it. Duplicate keys are reported with both positions and then set aside so the rest of
/// the file is still checked in the same run.
struct YAMLDocument {
    var root: Node?
    var diagnostics: [Diagnostic] = []
    /// Key positions of duplicates already reported; readers skip these keys.
    var setAsideKeys: Set<SourceLocation> = []

    static let maximumAliases = 100
    static let maximumValues = 1_000_000
    static let maximumDuplicateRounds = 50

    static func compose(_ source: SourceText) -> YAMLDocument {
        var document = YAMLDocument()
        let file = source.fileName
        let aliases = AliasScan.scan(source)
        if let key = aliases.aliasKey {
            document.diagnostics.append(Diagnostic(.yamlAliasLimit, file: file, at: key, pointer: "",
                                                   message: "an alias is used as a key",
                                                   help: "keys must be plain names; aliases may only stand for values"))
            return document
        }
        if aliases.count > maximumAliases, let first = aliases.first {
            document.diagnostics.append(Diagnostic(.yamlAliasLimit, file: file, at: first, pointer: "",
                                                   message: "the file uses \(aliases.count) aliases; at most \(maximumAliases) are allowed",
                                                   help: "a workflow rarely needs aliases; write the values out"))
            return document
        }

        var lines = source.lines
        for round in 0..<maximumDuplicateRounds {
            let text = round == 0 ? source.text : lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
            do {
                document.root = try Yams.compose(yaml: text)
                break
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard let key = duplicates.first,
                      let first = Optional(SourceLocation(line: context.mark.line, column: context.mark.column)),
                      let second = DuplicateKeyFinder.find(key: key, after: first, in: lines) else {
                    let at = SourceLocation(line: max(1, context.mark.line), column: max(1, context.mark.column))
                    document.diagnostics.append(Diagnostic(.duplicateKey, file: file, at: at, pointer: "",
                                                           message: "key \"\(duplicates.first ?? "?")\" appears more than once in one mapping"))
                    return document
                }
                document.diagnostics.append(Diagnostic(.duplicateKey, file: file, at: second.location,
                                                       length: second.length, pointer: "",
                                                       message: "key \"\(key)\" is already defined in this mapping",
                                                       help: "the first \"\(key)\" is at \(first); remove one of them"))
                document.setAsideKeys.insert(second.location)
                // Same-length private-use characters keep every later line and column where it was.
                let marker = Unicode.Scalar(0xE000 + UInt32(round))!
                for offset in 0..<second.length {
                    lines[second.location.line - 1][second.location.column - 1 + offset] = marker
                }
            } catch let error as YamlError {
                document.diagnostics.append(syntaxDiagnostic(error, source: source))
                return document
            } catch {
                document.diagnostics.append(Diagnostic(.yamlSyntax, file: file, at: SourceLocation(line: 1, column: 1),
                                                       pointer: "", message: "the file could not be read as YAML: \(error)"))
                return document
            }
        }
        if let root = document.root {
            var budget = maximumValues
            if !countWithin(root, budget: &budget) {
                document.diagnostics.append(Diagnostic(.yamlAliasLimit, file: file,
                                                       at: aliases.first ?? SourceLocation(line: 1, column: 1), pointer: "",
                                                       message: "aliases expand this file to more than \(maximumValues) values",
                                                       help: "this looks like a \"billion laughs\" file; write the values out"))
                document.root = nil
            }
        }
        return document
    }

    /// Counts values with aliases expanded, stopping as soon as the budget runs out.
    private static func countWithin(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        if budget < 0 { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let sequence):
            for child in sequence where !countWithin(child, budget: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                if !countWithin(key, budget: &budget) || !countWithin(value, budget: &budget) { return false }
            }
            return true
        }
    }

    private static func syntaxDiagnostic(_ error: YamlError, source: SourceText) -> Diagnostic {
        let file = source.fileName
        func located(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> Diagnostic {
            var message = problem
            if let context, !context.text.isEmpty, !context.text.contains("\n") {
                message = "\(problem) (\(context.text))"
            }
            let at = SourceLocation(line: max(1, mark.line), column: max(1, mark.column))
            return Diagnostic(.yamlSyntax, file: file, at: at, pointer: "", message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _): return located(context, problem, mark)
        case .parser(let context, let problem, let mark, _): return located(context, problem, mark)
        case .composer(let context, let problem, let mark, _):
            if problem == "but found another document" {
                return Diagnostic(.yamlSyntax, file: file, at: SourceLocation(line: max(1, mark.line), column: max(1, mark.column)),
                                  pointer: "", message: "a workflow file holds one YAML document, but a second one starts here",
                                  help: "remove the \"---\" line, or split the file")
            }
            return located(context, problem, mark)
        case .reader(let problem, let offset, let value, _):
            let at = offset.map { location(ofByte: $0, in: source) } ?? SourceLocation(line: 1, column: 1)
            let detail = value >= 0 ? String(format: " (character U+%04X)", value) : ""
            return Diagnostic(.yamlSyntax, file: file, at: at, pointer: "", message: "\(problem)\(detail)",
                              help: "YAML files may not contain control characters other than tab and line breaks")
        default:
            return Diagnostic(.yamlSyntax, file: file, at: SourceLocation(line: 1, column: 1), pointer: "",
                              message: "the file could not be read as YAML: \(error)")
        }
    }

    /// Converts a UTF-8 byte offset into a line and column.
    static func location(ofByte offset: Int, in source: SourceText) -> SourceLocation {
        var remaining = offset
        for (index, line) in source.lines.enumerated() {
            var column = 1
            for scalar in line {
                if remaining <= 0 { return SourceLocation(line: index + 1, column: column) }
                remaining -= UTF8.width(scalar)
                column += 1
            }
            if remaining <= 0 { return SourceLocation(line: index + 1, column: column) }
            remaining -= 1
        }
        return SourceLocation(line: max(1, source.lines.count), column: 1)
    }
}

/// A conservative scan for aliases (`*name`) before composing: it may count a `*word` inside text, never
/// misses a real alias, and so bounds what composing can cost.
enum AliasScan {
    struct Result {
        var count = 0
        var first: SourceLocation?
        var aliasKey: SourceLocation?
    }

    static func scan(_ source: SourceText) -> Result {
        var result = Result()
        let flowOrSpace: Set<Unicode.Scalar> = [" ", "\t", ",", "[", "]", "{", "}"]
        for (lineIndex, line) in source.lines.enumerated() {
            var i = 0
            while i < line.count {
                defer { i += 1 }
                guard line[i] == "*" else { continue }
                let before: Unicode.Scalar? = i > 0 ? line[i - 1] : nil
                guard before == nil || before == " " || before == "\t" || before == "[" || before == "{" || before == "," else { continue }
                guard i + 1 < line.count, !flowOrSpace.contains(line[i + 1]), line[i + 1] != "*" else { continue }
                let location = SourceLocation(line: lineIndex + 1, column: i + 1)
                result.count += 1
                if result.first == nil { result.first = location }
                var j = i + 1
                while j < line.count, !flowOrSpace.contains(line[j]) { j += 1 }
                var k = j
                while k < line.count, line[k] == " " || line[k] == "\t" { k += 1 }
                let followedByColon = k < line.count && line[k] == ":" && (k + 1 == line.count || flowOrSpace.contains(line[k + 1]))
                let explicitKey = i >= 2 && line[i - 2] == "?" && line[i - 1] == " "
                    && line[..<(i - 2)].allSatisfy { $0 == " " || $0 == "-" }
                if (followedByColon || explicitKey) && result.aliasKey == nil { result.aliasKey = location }
                // A name ending in ":" is itself the alias-as-key form `*a: value`.
                if j > i + 1, line[j - 1] == ":", result.aliasKey == nil, j == line.count || line[j] == " " {
                    result.aliasKey = location
                }
            }
        }
        return result
    }
}

/// Finds the second occurrence of a duplicated key, given the first, by reading the text: Yams reports only
/// the first one.
enum DuplicateKeyFinder {
    static func find(key: String, after first: SourceLocation, in lines: [[Unicode.Scalar]]) -> (location: SourceLocation, length: Int)? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"].map { Array($0.unicodeScalars) }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let firstLine = lines[first.line - 1]
        let beforeFirst = firstLine[..<min(first.column - 1, firstLine.count)]
        let inFlow = beforeFirst.last(where: { $0 != " " }).map { $0 == "{" || $0 == "," } ?? false

        func keyAt(_ lineIndex: Int, _ column: Int) -> Int? {
            let line = lines[lineIndex]
            for spelling in spellings where column - 1 + spelling.count <= line.count {
                guard Array(line[(column - 1)..<(column - 1 + spelling.count)]) == spelling else { continue }
                var k = column - 1 + spelling.count
                while k < line.count, line[k] == " " { k += 1 }
                if k < line.count, line[k] == ":" { return spelling.count }
            }
            return nil
        }

        if inFlow {
            var lineIndex = first.line - 1
            var column = first.column + 1
            while lineIndex < lines.count {
                let line = lines[lineIndex]
                while column <= line.count {
                    let prev = line[..<(column - 1)].last(where: { $0 != " " })
                    if prev == "{" || prev == ",", let length = keyAt(lineIndex, column) {
                        return (SourceLocation(line: lineIndex + 1, column: column), length)
                    }
                    column += 1
                }
                lineIndex += 1
                column = 1
            }
            return nil
        }
        for lineIndex in first.line..<lines.count {
            let line = lines[lineIndex]
            guard let firstNonSpace = line.firstIndex(where: { $0 != " " }) else { continue }
            if line[firstNonSpace] == "#" { continue }
            // A less indented line (a new sequence item included) ends the mapping.
            if firstNonSpace + 1 < first.column { return nil }
            if firstNonSpace + 1 == first.column, let length = keyAt(lineIndex, first.column) {
                return (SourceLocation(line: lineIndex + 1, column: first.column), length)
            }
        }
        return nil
    }
}
