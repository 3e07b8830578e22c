import Foundation

/// An ISO 8601 duration such as `P10D`, `P6M` or `PT12H`, whole numbers only.
public struct ISODuration: Sendable, Hashable, CustomStringConvertible {
    public var years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0
    /// The text as written, kept for messages and reports.
    public let text: String

    /// Parses `PnYnMnWnDTnHnMnS` (components in that order, at least one); nil when the text is not one.
    public init?(_ text: String) {
        self.text = text
        var scalars = Array(text.unicodeScalars)[...]
        guard scalars.first == "P" else { return nil }
        scalars = scalars.dropFirst()
        var inTime = false
        var seen = 0
        let dateOrder: [Unicode.Scalar] = ["Y", "M", "W", "D"], timeOrder: [Unicode.Scalar] = ["H", "M", "S"]
        var lastIndex = -1
        while let first = scalars.first {
            if first == "T" {
                guard !inTime else { return nil }
                inTime = true
                lastIndex = -1
                scalars = scalars.dropFirst()
                guard !scalars.isEmpty else { return nil }
                continue
            }
            var digits = ""
            while let d = scalars.first, d.isASCIIDigit {
                digits.unicodeScalars.append(d)
                scalars = scalars.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 6, let value = Int(digits), let unit = scalars.first else { return nil }
            scalars = scalars.dropFirst()
            let order = inTime ? timeOrder : dateOrder
            guard let index = order.firstIndex(of: unit), index > lastIndex else { return nil }
            lastIndex = index
            switch (inTime, unit) {
            case (false, "Y"): years = value
            case (false, "M"): months = value
            case (false, "W"): weeks = value
            case (false, "D"): days = value
            case (true, "H"): hours = value
            case (true, "M"): minutes = value
            default: seconds = value
            }
            seen += 1
        }
        guard seen > 0 else { return nil }
    }

    public var description: String { text }

    /// The moment this long after `date`, counting years and months on the UTC calendar.
    public func added(to date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var components = DateComponents()
        components.year = years
        components.month = months
        components.day = weeks * 7 + days
        components.hour = hours
        components.minute = minutes
        components.second = seconds
        return calendar.date(byAdding: components, to: date) ?? date.addingTimeInterval(approximateSeconds)
    }

    /// A rough length for ordering and display, never for deadlines.
    public var approximateSeconds: TimeInterval {
        TimeInterval(((years * 365 + months * 30 + weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60 + seconds)
    }

    /// The duration in plain words: `10 days`, `6 months`, `1 year and 2 weeks`.
    public var inWords: String {
        let parts: [(Int, String)] = [(years, "year"), (months, "month"), (weeks, "week"), (days, "day"),
                                      (hours, "hour"), (minutes, "minute"), (seconds, "second")]
        let words = parts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
        if words.isEmpty { return "no time" }
        if words.count == 1 { return words[0] }
        return words.dropLast().joined(separator: ", ") + " and " + words.last!
    }
}
