/// A token of the guard language.
struct GuardToken: Equatable {
    enum Kind: Equatable {
        case int(Int)
        case string(String)
        case name(String)
        case symbol(String)
        case end
    }
    var kind: Kind
    var range: Range<Int>
}

/// Splits a guard into tokens; offsets count Unicode scalars so they map onto YAML columns.
struct GuardLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static let symbols = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", "[", "]", ",", ".", "?", ":",
                          "+", "-", "*"]
    static let symbolScalars: [(text: String, scalars: [Unicode.Scalar])] = symbols.map { ($0, Array($0.unicodeScalars)) }

    mutating func tokens() throws(GuardProblem) -> [GuardToken] {
        var result: [GuardToken] = []
        while true {
            let token = try next()
            result.append(token)
            if token.kind == .end { return result }
        }
    }

    private mutating func next() throws(GuardProblem) -> GuardToken {
        while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
        let start = index
        guard index < scalars.count else { return GuardToken(kind: .end, range: start..<start) }
        let c = scalars[index]
        if c.isASCIIDigit {
            var value = 0
            while index < scalars.count, scalars[index].isASCIIDigit {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(scalars[index].value - 48))
                if o1 || o2 {
                    while index < scalars.count, scalars[index].isASCIIDigit { index += 1 }
                    throw GuardProblem(.guardSyntax, start..<index, "the number is too large")
                }
                value = sum
                index += 1
            }
            if index < scalars.count, scalars[index] == "." || scalars[index].isNameScalar {
                throw GuardProblem(.guardSyntax, start..<(index + 1),
                                   "guards have whole numbers only", help: "write an integer such as 3")
            }
            return GuardToken(kind: .int(value), range: start..<index)
        }
        if c.isNameStart {
            while index < scalars.count, scalars[index].isNameScalar { index += 1 }
            // Names are ASCII, so their bytes are their scalars.
            let name = String(decoding: scalars[start..<index].map { UInt8(truncatingIfNeeded: $0.value) }, as: UTF8.self)
            return GuardToken(kind: .name(name), range: start..<index)
        }
        if c == "\"" || c == "'" {
            return try stringLiteral(quote: c)
        }
        for (symbol, symbolScalars) in Self.symbolScalars where scalars[index] == symbolScalars[0] {
            if symbolScalars.count == 1 || (index + 1 < scalars.count && scalars[index + 1] == symbolScalars[1]) {
                index += symbolScalars.count
                return GuardToken(kind: .symbol(symbol), range: start..<index)
            }
        }
        let help: String? = switch c {
        case "=": "compare with == (one = is not an operator)"
        case "&": "write && for \"and\""
        case "|": "write || for \"or\""
        case "/", "%": "guards have +, - and * only"
        default: nil
        }
        throw GuardProblem(.guardSyntax, start..<(start + 1), "unexpected character \"\(c)\"", help: help)
    }

    private mutating func stringLiteral(quote: Unicode.Scalar) throws(GuardProblem) -> GuardToken {
        let start = index
        index += 1
        var value = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            if c == quote {
                index += 1
                return GuardToken(kind: .string(String(value)), range: start..<index)
            }
            if c == "\n" { break }
            if c == "\\" {
                guard index + 1 < scalars.count else { break }
                let escaped = scalars[index + 1]
                switch escaped {
                case "\"", "'", "\\": value.append(escaped)
                case "n": value.append("\n")
                case "t": value.append("\t")
                default:
                    throw GuardProblem(.guardSyntax, index..<(index + 2), "unknown escape \"\\\(escaped)\" in text",
                                       help: "the escapes are \\\" \\' \\\\ \\n \\t")
                }
                index += 2
                continue
            }
            value.append(c)
            index += 1
        }
        throw GuardProblem(.guardSyntax, start..<index, "the text starting here has no closing \(quote)")
    }
}

extension Unicode.Scalar {
    var isASCIIDigit: Bool { value >= 48 && value <= 57 }
    var isNameStart: Bool { (value >= 97 && value <= 122) || (value >= 65 && value <= 90) || self == "_" }
    var isNameScalar: Bool { isNameStart || isASCIIDigit }
}
