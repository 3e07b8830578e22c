/// A calendar date (`YYYY-MM-DD`), the only date kind facts and evidence fields have.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses exactly `YYYY-MM-DD` with a real day of that month; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= CalendarDate.daysIn(month: m, year: y) else { return nil }
        year = y
        month = m
        day = d
    }

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// One item of evidence as guards see it: its non-confidential field values.
public struct EvidenceItem: Sendable, Hashable {
    public var fields: [String: GuardValue]
    public init(fields: [String: GuardValue]) { self.fields = fields }
}

/// A value a guard computes with.
public indirect enum GuardValue: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case string(String)
    case date(CalendarDate)
    case list([GuardValue])
    case item(EvidenceItem)

    /// How a value is shown in a refusal: `"moderate"`, `3`, `true`, `2026-01-31`.
    public var description: String {
        switch self {
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .string(let s): "\"\(s)\""
        case .date(let d): d.description
        case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .item(let item): "{" + item.fields.keys.sorted().map { "\($0): \(item.fields[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}

/// The static type of a guard expression.
public indirect enum GuardType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case int
    case string
    case date
    /// Text restricted to a declared set of values; `name` is the fact or field that declares them.
    case enumeration(name: String, values: [String])
    case list(GuardType)
    /// An item of the named evidence type.
    case item(String)
    /// The element type of an empty list literal: fits anything.
    case any
    case factsNamespace
    case evidenceNamespace

    public var description: String {
        switch self {
        case .bool: "a bool"
        case .int: "an int"
        case .string: "text"
        case .date: "a date"
        case .enumeration(let name, _): "a value of \(name)"
        case .list(let element): "a list of \(element.pluralDescription)"
        case .item(let type): "an item of evidence type \(type)"
        case .any: "anything"
        case .factsNamespace: "the facts"
        case .evidenceNamespace: "the evidence"
        }
    }

    var pluralDescription: String {
        switch self {
        case .bool: "bools"
        case .int: "ints"
        case .string: "texts"
        case .date: "dates"
        case .enumeration(let name, _): "values of \(name)"
        case .list(let e): "lists of \(e.pluralDescription)"
        case .item(let type): "items of evidence type \(type)"
        default: description
        }
    }

    /// Whether values of the two types can be compared for equality (enum values are text).
    func fits(_ other: GuardType) -> Bool {
        switch (self, other) {
        case (.any, _), (_, .any): true
        case (.enumeration, .enumeration), (.enumeration, .string), (.string, .enumeration): true
        case (.list(let a), .list(let b)): a.fits(b)
        default: self == other
        }
    }

    var isTextLike: Bool {
        switch self {
        case .string, .enumeration: true
        default: false
        }
    }
}
