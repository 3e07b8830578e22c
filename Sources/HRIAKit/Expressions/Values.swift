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
        case .item(let item): "{" + item.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
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
