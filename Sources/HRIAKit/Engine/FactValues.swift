/// Converting fact and field values between the command line (`NAME=VALUE`), the log (JSON) and guards.
public enum FactValues {
    /// Parses a value typed on the command line for a fact; the error says what was expected.
    public static func parse(_ text: String, as type: FactType, fact: String) -> Result<JSONValue, ValueProblem> {
        switch type {
        case .bool:
            switch text {
            case "true": return .success(.bool(true))
            case "false": return .success(.bool(false))
            default: return .failure(ValueProblem("fact \(fact) is true or false, not \"\(text)\""))
            }
        case .int(let lo, let hi):
            guard let value = Int(text) else { return .failure(ValueProblem("fact \(fact) is a whole number, not \"\(text)\"")) }
            if let lo, value < lo { return .failure(ValueProblem("fact \(fact) must be at least \(lo), not \(value)")) }
            if let hi, value > hi { return .failure(ValueProblem("fact \(fact) must be at most \(hi), not \(value)")) }
            return .success(.int(value))
        case .enumeration(let values):
            guard values.contains(text) else {
                return .failure(ValueProblem("\"\(text)\" is not a value of fact \(fact) (\(values.joined(separator: ", ")))",
                                          suggestion: Suggestions.closest(to: text, in: values)))
            }
            return .success(.string(text))
        case .string:
            return .success(.string(text))
        case .date:
            guard CalendarDate(text) != nil else {
                return .failure(ValueProblem("fact \(fact) is a date written YYYY-MM-DD, not \"\(text)\""))
            }
            return .success(.string(text))
        }
    }

    /// Parses an evidence field value typed on the command line.
    public static func parse(_ text: String, as type: FieldType, field: String) -> Result<JSONValue, ValueProblem> {
        switch type {
        case .string:
            if text.contains("\n") { return .failure(ValueProblem("field \(field) is one line of text; use a text field for several lines")) }
            return .success(.string(text))
        case .text:
            return .success(.string(text))
        case .int(let range):
            guard let value = Int(text) else { return .failure(ValueProblem("field \(field) is a whole number, not \"\(text)\"")) }
            if let range, !range.contains(value) {
                return .failure(ValueProblem("field \(field) must be from \(range.lowerBound) to \(range.upperBound), not \(value)"))
            }
            return .success(.int(value))
        case .bool:
            switch text {
            case "true": return .success(.bool(true))
            case "false": return .success(.bool(false))
            default: return .failure(ValueProblem("field \(field) is true or false, not \"\(text)\""))
            }
        case .date:
            guard CalendarDate(text) != nil else { return .failure(ValueProblem("field \(field) is a date written YYYY-MM-DD, not \"\(text)\"")) }
            return .success(.string(text))
        case .enumeration(let values):
            guard values.contains(text) else {
                return .failure(ValueProblem("\"\(text)\" is not a value of field \(field) (\(values.joined(separator: ", ")))",
                                          suggestion: Suggestions.closest(to: text, in: values)))
            }
            return .success(.string(text))
        }
    }

    /// Whether a recorded value is one the fact's type allows (what `parse` could have produced).
    public static func conforms(_ json: JSONValue, to type: FactType) -> Bool {
        switch (type, json) {
        case (.bool, .bool): true
        case (.int(let lo, let hi), .int(let i)): (lo.map { i >= $0 } ?? true) && (hi.map { i <= $0 } ?? true)
        case (.enumeration(let values), .string(let s)): values.contains(s)
        case (.string, .string): true
        case (.date, .string(let s)): CalendarDate(s) != nil
        default: false
        }
    }

    /// Whether a recorded value is one the field's type allows.
    public static func conforms(_ json: JSONValue, to type: FieldType) -> Bool {
        switch (type, json) {
        case (.string, .string(let s)): !s.contains("\n")
        case (.text, .string): true
        case (.int(let range), .int(let i)): range.map { $0.contains(i) } ?? true
        case (.bool, .bool): true
        case (.date, .string(let s)): CalendarDate(s) != nil
        case (.enumeration(let values), .string(let s)): values.contains(s)
        default: false
        }
    }

    /// The guard value of a stored fact; nil if the log holds something the type does not allow.
    public static func guardValue(_ json: JSONValue, as type: FactType) -> GuardValue? {
        switch (type, json) {
        case (.bool, .bool(let b)): .bool(b)
        case (.int, .int(let i)): .int(i)
        case (.enumeration, .string(let s)), (.string, .string(let s)): .string(s)
        case (.date, .string(let s)): CalendarDate(s).map(GuardValue.date)
        default: nil
        }
    }

    public static func guardValue(_ json: JSONValue, as type: FieldType) -> GuardValue? {
        switch (type, json) {
        case (.bool, .bool(let b)): .bool(b)
        case (.int, .int(let i)): .int(i)
        case (.enumeration, .string(let s)), (.string, .string(let s)), (.text, .string(let s)): .string(s)
        case (.date, .string(let s)): CalendarDate(s).map(GuardValue.date)
        default: nil
        }
    }

    /// A stored value as it would be typed: text without quotes, the rest as `display` shows it.
    public static func plain(_ json: JSONValue) -> String {
        if case .string(let s) = json { return s }
        return display(json)
    }

    /// How a stored value reads in status and history: text in quotes, the rest as is.
    public static func display(_ json: JSONValue) -> String {
        switch json {
        case .string(let s): "\"\(s)\""
        case .int(let i): String(i)
        case .bool(let b): String(b)
        case .null: "nothing"
        default: json.rendered()
        }
    }
}
