import Foundation

/// RFC 3339 timestamps: read with any offset and fraction (for `HRIA_NOW`), written as UTC seconds.
public enum Timestamp {
    /// `2026-03-02T10:15:00Z`
    public static func format(_ date: Date) -> String {
        let seconds = Int(floor(date.timeIntervalSince1970))
        let days = Int(floor(Double(seconds) / 86_400))
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// The first moment (UTC) of a calendar day.
    public static func startOfDay(_ day: CalendarDate) -> Date {
        Date(timeIntervalSince1970: Double(daysFromCivil(day.year, day.month, day.day)) * 86_400)
    }

    /// The calendar day (UTC) of a moment.
    public static func day(_ date: Date) -> CalendarDate {
        let days = Int(floor(date.timeIntervalSince1970 / 86_400))
        let (y, m, d) = civil(fromDays: days)
        return CalendarDate(year: y, month: m, day: d)
    }

    /// A time as the log stores it: exactly the writer's own `YYYY-MM-DDTHH:MM:SSZ`, so that `format` gives the
    /// stored text back (no fractions, offsets or leap seconds); nil for anything else.
    public static func parseStored(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        var days = DayCache()
        return parseStored(b, days: &days)
    }

    /// The last date read and its day number: consecutive events are mostly on one day, and `verify` reads a time
    /// on every line.
    public struct DayCache {
        /// `YYYY-MM-` as one word and `DD` as another; zero before the first date.
        var yearMonth: UInt64 = 0
        var day: UInt16 = 0
        var days = 0
        public init() {}
    }

    /// `parseStored`, with the day number of a date seen just before taken from `days`.
    public static func parseStored(_ b: UnsafeBufferPointer<UInt8>, days cache: inout DayCache) -> Date? {
        guard b.count == 20, let base = b.baseAddress else { return nil }
        let yearMonth = UnsafeRawPointer(base).loadUnaligned(as: UInt64.self)
        let day = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        if cache.yearMonth != 0, yearMonth == cache.yearMonth, day == cache.day {
            func d(_ i: Int) -> Int? { b[i] >= 48 && b[i] <= 57 ? Int(b[i] - 48) : nil }
            guard b[10] == 84, let h0 = d(11), let h1 = d(12), b[13] == 58, let n0 = d(14), let n1 = d(15), b[16] == 58,
                  let s0 = d(17), let s1 = d(18), b[19] == 90 else { return nil }
            let hour = h0 * 10 + h1, minute = n0 * 10 + n1, second = s0 * 10 + s1
            guard hour < 24, minute < 60, second < 60 else { return nil }
            return Date(timeIntervalSince1970: Double(cache.days * 86_400 + hour * 3600 + minute * 60 + second))
        }
        guard let date = parseStoredFully(b) else { return nil }
        cache.yearMonth = yearMonth
        cache.day = day
        cache.days = Int(floor(date.timeIntervalSince1970 / 86_400))
        return date
    }

    static func parseStoredFully(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count == 20 else { return nil }
        func d(_ i: Int) -> Int? { b[i] >= 48 && b[i] <= 57 ? Int(b[i] - 48) : nil }
        guard let y0 = d(0), let y1 = d(1), let y2 = d(2), let y3 = d(3), b[4] == 45, let m0 = d(5), let m1 = d(6), b[7] == 45,
              let d0 = d(8), let d1 = d(9), b[10] == 84, let h0 = d(11), let h1 = d(12), b[13] == 58, let n0 = d(14), let n1 = d(15),
              b[16] == 58, let s0 = d(17), let s1 = d(18), b[19] == 90 else { return nil }
        let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3, month = m0 * 10 + m1, day = d0 * 10 + d1
        let hour = h0 * 10 + h1, minute = n0 * 10 + n1, second = s0 * 10 + s1
        guard (1...12).contains(month), day >= 1, day <= CalendarDate.daysIn(month: month, year: year), hour < 24, minute < 60,
              second < 60 else { return nil }
        return Date(timeIntervalSince1970: Double(daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second))
    }

    public static func parseStored(_ text: String) -> Date? {
        Array(text.utf8).withUnsafeBufferPointer { parseStored($0) }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; nil when the text is not RFC 3339.
    public static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for b in s[from..<(from + count)] {
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard s.count >= 20, let y = digits(0, 4), s[4] == UInt8(ascii: "-"), let mo = digits(5, 2), s[7] == UInt8(ascii: "-"),
              let d = digits(8, 2), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " "),
              let h = digits(11, 2), s[13] == UInt8(ascii: ":"), let mi = digits(14, 2), s[16] == UInt8(ascii: ":"),
              let se = digits(17, 2), (1...12).contains(mo), d >= 1, d <= CalendarDate.daysIn(month: mo, year: y),
              h < 24, mi < 60, se < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < s.count, s[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < s.count, s[index] >= 48, s[index] <= 57 {
                fraction += Double(s[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < s.count else { return nil }
        var offset = 0
        if s[index] == UInt8(ascii: "Z") || s[index] == UInt8(ascii: "z") {
            index += 1
        } else if s[index] == UInt8(ascii: "+") || s[index] == UInt8(ascii: "-") {
            guard let oh = digits(index + 1, 2), s.count > index + 3, s[index + 3] == UInt8(ascii: ":"),
                  let om = digits(index + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (s[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == s.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + min(se, 59) - offset
        // An offset can carry a time out of the years 0000 to 9999, which the stored form cannot write: refused, so
        // that whatever parses can be recorded and read back.
        guard seconds >= Self.earliestStored, seconds <= Self.latestStored else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static let earliestStored = daysFromCivil(0, 1, 1) * 86_400
    static let latestStored = daysFromCivil(9999, 12, 31) * 86_400 + 86_399

    /// Howard Hinnant's days-from-civil: exact proleptic Gregorian arithmetic without Foundation calendars.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// Where the time of a recorded event comes from: the system clock, read while the assessment's lock is held
/// so concurrent writers record times in log order, or a fixed moment (`HRIA_NOW`) for tests and examples.
public struct Clock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    public static let system = Clock { Date() }

    public static func fixed(_ date: Date) -> Clock { Clock { date } }
}
