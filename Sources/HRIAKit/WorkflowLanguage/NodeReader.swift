import Yams

/// Reads values out of the composed YAML tree with exact positions, collecting every problem instead of
/// stopping at the first: the hand-written counterpart of Codable that knows where each value was written.
struct NodeReader {
    let source: SourceText
    let setAsideKeys: Set<SourceLocation>
    var diagnostics: [Diagnostic] = []

    init(source: SourceText, setAsideKeys: Set<SourceLocation>) {
        self.source = source
        self.setAsideKeys = setAsideKeys
    }

    /// One key of a mapping with its value and the value's JSON Pointer.
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
        var pointer: String
    }

    /// The known keys of a mapping, in file order.
    struct Fields {
        var node: Node
        var entries: [Entry]
        subscript(key: String) -> Entry? { entries.first { $0.key == key } }
    }

    static let yaml11Booleans: Set<String> = ["yes", "no", "on", "off", "y", "n", "true", "false"]

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(line: 1, column: 1) }
        return source.location(yamlLine: mark.line, yamlColumn: mark.column)
    }

    /// The span of a node: a scalar is underlined as far as it goes on its first line.
    func span(_ node: Node, _ pointer: String) -> SourceSpan {
        let start = location(node)
        var length = 1
        if case .scalar(let scalar) = node {
            let lineLength = source.lines[safe: start.line - 1]?.count ?? 0
            let available = max(1, lineLength - start.column + 1)
            switch scalar.style {
            case .singleQuoted, .doubleQuoted:
                length = min(available, scalar.string.unicodeScalars.count + 2)
            case .literal, .folded:
                length = 1
            default:
                length = min(available, max(1, scalar.string.unicodeScalars.count))
            }
        }
        return SourceSpan(location: start, length: length, pointer: pointer)
    }

    mutating func report(_ rule: LintRule, _ span: SourceSpan, _ message: String, help: String? = nil) {
        diagnostics.append(Diagnostic(rule, file: source.fileName, at: span.location, length: span.length,
                                      pointer: span.pointer, message: message, help: help))
    }

    mutating func report(_ rule: LintRule, _ node: Node, _ pointer: String, _ message: String, help: String? = nil) {
        report(rule, span(node, pointer), message, help: help)
    }

    static func escape(_ token: String) -> String {
        // Most names need no escaping; checking first keeps large workflows fast.
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func pointer(_ base: String, _ token: String) -> String { base + "/" + escape(token) }

    /// A short name of what a node is, for "expected X, found Y" messages.
    func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(scalar) { return "nothing" }
            if scalar.style == .plain, Int(scalar.string) != nil { return "the number \(scalar.string)" }
            if scalar.style == .plain, Self.yaml11Booleans.contains(scalar.string.lowercased()) {
                return "the boolean \(scalar.string)"
            }
            return "the text \"\(scalar.string)\""
        }
    }

    func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Reads a mapping whose keys must be among `keys`; reports unknown keys, and missing required keys at
    /// `missingAt` (usually the key that names this mapping).
    mutating func mapping(_ node: Node, _ pointer: String, what: String, keys: [String], required: [String],
                          missingAt: Node? = nil) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(.wrongType, node, pointer, "\(what) must be a mapping of keys to values, found \(kind(node))",
                   help: "keys are: " + keys.joined(separator: ", "))
            return nil
        }
        var fields = Fields(node: node, entries: [])
        for (keyNode, value) in mapping {
            guard !setAsideKeys.contains(location(keyNode)) else { continue }
            guard case .scalar(let keyScalar) = keyNode else {
                report(.wrongType, keyNode, pointer, "a key must be a plain name, found \(kind(keyNode))")
                continue
            }
            let key = keyScalar.string
            let entryPointer = Self.pointer(pointer, key)
            guard keys.contains(key) else {
                let suggestion = Suggestions.closest(to: key, in: keys)
                let help: String
                if key == "<<" {
                    help = "merge keys are not supported; write the keys out"
                } else if key.contains(" ") {
                    // `{ description: Ask, then record }` reads as a key "then record": the comma split the text.
                    help = "a comma inside { } starts a new key: quote the text that holds it (description: \"Ask, then record\")"
                } else if let suggestion {
                    help = "did you mean \"\(suggestion)\"?"
                } else {
                    help = "\(what) has the keys " + keys.joined(separator: ", ")
                }
                report(.unknownKey, keyNode, entryPointer, "unknown key \"\(key)\" in \(what)", help: help)
                continue
            }
            fields.entries.append(Entry(key: key, keyNode: keyNode, value: value, pointer: entryPointer))
        }
        for key in required where fields[key] == nil {
            let at = missingAt ?? node
            report(.missingKey, span(at, pointer), "\(what) has no \"\(key)\"", help: Self.missingHelp[key])
        }
        return fields
    }

    static let missingHelp: [String: String] = [
        "schema": "start the file with schema: hria.workflow/v1",
        "owner": "name the role that runs this stage, or mark it terminal: true",
        "transitions": "list where the assessment goes next, or mark the stage terminal: true",
        "outcome": "a terminal stage records its outcome, for example outcome: declined",
    ]

    /// The entries of a mapping whose keys are names chosen by the author (stages, roles, facts).
    mutating func namedEntries(_ node: Node, _ pointer: String, what: String) -> [Entry] {
        guard case .mapping(let mapping) = node else {
            if case .scalar(let s) = node, isNull(s) { return [] }
            report(.wrongType, node, pointer, "\(what) must be a mapping of names to definitions, found \(kind(node))")
            return []
        }
        var entries: [Entry] = []
        for (keyNode, value) in mapping {
            guard !setAsideKeys.contains(location(keyNode)) else { continue }
            guard case .scalar(let keyScalar) = keyNode else {
                report(.wrongType, keyNode, pointer, "a name must be plain text, found \(kind(keyNode))")
                continue
            }
            entries.append(Entry(key: keyScalar.string, keyNode: keyNode, value: value,
                                 pointer: Self.pointer(pointer, keyScalar.string)))
        }
        return entries
    }

    /// The items of a list with their pointers.
    mutating func sequence(_ node: Node, _ pointer: String, what: String) -> [(node: Node, pointer: String)]? {
        guard case .sequence(let sequence) = node else {
            report(.wrongType, node, pointer, "\(what) must be a list, found \(kind(node))",
                   help: "write a list with \"- \" items or [a, b]")
            return nil
        }
        return sequence.enumerated().map { ($0.element, pointer + "/\($0.offset)") }
    }

    /// Text where text is expected; YAML booleans written without quotes are refused.
    mutating func text(_ node: Node, _ pointer: String, what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(.wrongType, node, pointer, "\(what) must be text, found \(kind(node))")
            return nil
        }
        if isNull(scalar) {
            report(.wrongType, node, pointer, "\(what) must be text, found nothing")
            return nil
        }
        if scalar.style == .plain, Self.yaml11Booleans.contains(scalar.string.lowercased()) {
            report(.yaml11Bool, node, pointer,
                   "\(scalar.string) is read as a boolean by YAML tools, but \(what) is text",
                   help: "quote it: \"\(scalar.string)\"")
            return scalar.string
        }
        return scalar.string
    }

    /// An identifier (`^[a-z][a-z0-9_]{0,63}$`) where names of stages, roles, facts and fields go.
    mutating func identifier(_ node: Node, _ pointer: String, what: String) -> Located<String>? {
        guard let value = text(node, pointer, what: what) else { return nil }
        let located = Located(value, span(node, pointer))
        if !Self.isIdentifier(value) {
            report(.invalidID, located.span, "\"\(value)\" is not a valid \(what)",
                   help: "use lower-case letters, digits and _, starting with a letter, at most 64 characters"
                       + (Self.isIdentifier(Self.suggestedIdentifier(value)) ? " (for example \"\(Self.suggestedIdentifier(value))\")" : ""))
        }
        return located
    }

    static func isIdentifier(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 64, first.value >= 97, first.value <= 122 else { return false }
        return scalars.allSatisfy { ($0.value >= 97 && $0.value <= 122) || $0.isASCIIDigit || $0 == "_" }
    }

    static func suggestedIdentifier(_ s: String) -> String {
        String(s.lowercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
    }

    mutating func int(_ node: Node, _ pointer: String, what: String) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            var help: String?
            if case .scalar(let s) = node, s.style != .plain, Int(s.string) != nil { help = "remove the quotes" }
            report(.wrongType, node, pointer, "\(what) must be a whole number, found \(kind(node))", help: help)
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ pointer: String, what: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        report(.wrongType, node, pointer, "\(what) must be true or false, found \(kind(node))",
               help: "write true or false")
        return nil
    }

    mutating func duration(_ node: Node, _ pointer: String, what: String) -> ISODuration? {
        guard let value = text(node, pointer, what: what) else { return nil }
        guard let duration = ISODuration(value) else {
            report(.invalidDuration, node, pointer, "\"\(value)\" is not an ISO 8601 duration",
                   help: "write it like P10D (10 days), P6M (6 months), P1Y (a year) or PT12H (12 hours)")
            return nil
        }
        return duration
    }

    /// A guard's text and the file position of each of its characters.
    mutating func guardSource(_ node: Node, _ pointer: String) -> GuardSource? {
        guard case .scalar(let scalar) = node, !isNull(scalar) else {
            report(.wrongType, node, pointer, "a condition must be a guard expression, found \(kind(node))",
                   help: "for example: when: 'facts.tier == \"high\"'")
            return nil
        }
        let start = location(node)
        let positions = ScalarPositions.map(value: scalar.string, style: scalar.style, start: start, source: source)
        return GuardSource(text: scalar.string, span: span(node, pointer), positions: positions)
    }
}
