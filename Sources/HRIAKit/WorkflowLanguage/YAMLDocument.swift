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
                // The basic resolver: hria reads scalars itself, and the default one runs regular expressions over every key.
                document.root = try Yams.compose(yaml: text, .basic)
                break
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard let key = duplicates.first,
                      let first = Optional(source.location(yamlLine: context.mark.line, yamlColumn: context.mark.column)),
                      let second = DuplicateKeyFinder.find(key: key, after: first, in: lines) else {
                    let at = source.location(yamlLine: context.mark.line, yamlColumn: context.mark.column)
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
        // Without aliases a document holds only what its text spells out; the budgeted walk is for expansions.
        if let root = document.root, aliases.count > 0 {
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
            let at = source.location(yamlLine: mark.line, yamlColumn: mark.column)
            if problem.hasPrefix("Maximum nesting level reached") {
                return Diagnostic(.yamlSyntax, file: file, at: at, pointer: "",
                                  message: "lists and mappings are nested too deeply here",
                                  help: "a workflow never needs this much nesting; the file may be damaged or malicious")
            }
            var message = problem
            if let context, !context.text.isEmpty, !context.text.contains("\n") {
                message = "\(problem) (\(context.text))"
            }
            var help: String?
            if let quote = unclosedQuote(before: at, in: source) {
                help = "the quoted text that starts at \(quote) is not closed on its line; a missing quote makes YAML read on"
            } else if source.line(at.line)?.contains("\t") == true {
                help = "YAML indentation must use spaces, not tabs"
            }
            return Diagnostic(.yamlSyntax, file: file, at: at, pointer: "", message: message, help: help)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _): return located(context, problem, mark)
        case .parser(let context, let problem, let mark, _): return located(context, problem, mark)
        case .composer(let context, let problem, let mark, _):
            if problem == "but found another document" {
                return Diagnostic(.yamlSyntax, file: file, at: source.location(yamlLine: mark.line, yamlColumn: mark.column),
                                  pointer: "", message: "a workflow file holds one YAML document, but a second one starts here",
                                  help: "remove the \"---\" line, or split the file")
            }
            return located(context, problem, mark)
        case .reader(let problem, let offset, let value, _):
            let at = offset.map { location(ofCharacter: $0, in: source) } ?? SourceLocation(line: 1, column: 1)
            let detail = value >= 0 ? String(format: " (character U+%04X)", value) : ""
            return Diagnostic(.yamlSyntax, file: file, at: at, pointer: "", message: "\(problem)\(detail)",
                              help: "YAML files may not contain control characters other than tab and line breaks")
        default:
            return Diagnostic(.yamlSyntax, file: file, at: SourceLocation(line: 1, column: 1), pointer: "",
                              message: "the file could not be read as YAML: \(error)")
        }
    }

    /// The start of the last value before `limit` that opens a quote and does not close it on its line: the
    /// usual cause of a syntax error reported far below the real mistake.
    static func unclosedQuote(before limit: SourceLocation, in source: SourceText) -> SourceLocation? {
        var found: SourceLocation?
        for lineIndex in 0..<min(limit.line, source.lines.count) {
            let line = source.lines[lineIndex]
            var i = 0
            while i < line.count {
                let c = line[i]
                if c == "#", i == 0 || line[i - 1] == " " { break }
                let opensValue = i == 0 || [" ", "[", "{", ","].contains(line[i - 1])
                if (c == "\"" || c == "'") && opensValue {
                    var j = i + 1
                    var closed = false
                    while j < line.count {
                        if c == "\"", line[j] == "\\" { j += 2; continue }
                        if line[j] == c {
                            if c == "'", j + 1 < line.count, line[j + 1] == "'" { j += 2; continue }
                            closed = true
                            break
                        }
                        j += 1
                    }
                    if !closed {
                        found = SourceLocation(line: lineIndex + 1, column: i + 1)
                        break
                    }
                    i = j + 1
                    continue
                }
                i += 1
            }
        }
        guard let found, found.line < limit.line else { return nil }
        return found
    }

    /// Converts an offset counted in Characters (as Yams reports reader errors) into a line and column.
    static func location(ofCharacter offset: Int, in source: SourceText) -> SourceLocation {
        var line = 1, column = 1, index = 0
        for character in source.text {
            if index == offset { return SourceLocation(line: line, column: column) }
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
            index += 1
        }
        return SourceLocation(line: line, column: column)
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
            var quote: Unicode.Scalar?
            while i < line.count {
                defer { i += 1 }
                // A real alias is never inside a quoted scalar; quotes are tracked within the line.
                if let open = quote {
                    if open == "\"", line[i] == "\\" { i += 1; continue }
                    if line[i] == open { quote = nil }
                    continue
                }
                if line[i] == "\"" || line[i] == "'", i == 0 || [" ", "[", "{", ","].contains(line[i - 1]) {
                    quote = line[i]
                    continue
                }
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
        var before = Array(firstLine[..<min(first.column - 1, firstLine.count)])
        var back = first.line - 2
        while before.allSatisfy({ $0 == " " }), back >= 0 {
            before = lines[back]
            back -= 1
        }
        let inFlow = before.last(where: { $0 != " " }).map { $0 == "{" || $0 == "," } ?? false

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
            // Walk forward from the first key, tracking nesting, and match keys at the first key's own depth.
            var depth = 0
            var lineIndex = first.line - 1
            var column = first.column + 1
            var quote: Unicode.Scalar?
            var previous: Unicode.Scalar = " "
            while lineIndex < lines.count {
                let line = lines[lineIndex]
                while column <= line.count {
                    let c = line[column - 1]
                    if let open = quote {
                        if c == open { quote = nil }
                        column += 1
                        continue
                    }
                    switch c {
                    case "\"", "'": quote = c
                    case "{", "[": depth += 1
                    case "}", "]":
                        depth -= 1
                        if depth < 0 { return nil }
                    default:
                        if depth == 0, previous == "," || previous == "{", c != " ", let length = keyAt(lineIndex, column) {
                            return (SourceLocation(line: lineIndex + 1, column: column), length)
                        }
                    }
                    if c != " " { previous = c }
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
