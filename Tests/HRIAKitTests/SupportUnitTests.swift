import Foundation
import Testing
@testable import HRIAKit

// Direct unit tests of small support types that were so far only exercised end to end: `Timestamp` (and
// `CalendarDate`), `ISODuration`, `FactValues`, `WorkspaceConfiguration.load` and the sealed `StateCache`.

@Suite("SupportUnitTests")
struct SupportUnitTests {
    /// A moment from its UTC calendar parts, computed without Foundation calendars.
    static func utc(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
        Date(timeIntervalSince1970: Double(Timestamp.daysFromCivil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s))
    }

    // MARK: - Timestamp

    @Suite("SupportUnitTests.Timestamp")
    struct TimestampTests {
        @Test func formatsKnownMoments() {
            #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: 1_772_446_500)) == "2026-03-02T10:15:00Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: 946_684_800)) == "2000-01-01T00:00:00Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: 1_709_208_000)) == "2024-02-29T12:00:00Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: -62_167_219_200)) == "0000-01-01T00:00:00Z")
        }

        @Test func formatDropsFractionsTowardsThePast() {
            #expect(Timestamp.format(Date(timeIntervalSince1970: 1_772_446_500.999)) == "2026-03-02T10:15:00Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
            #expect(Timestamp.format(Date(timeIntervalSince1970: -86_400)) == "1969-12-31T00:00:00Z")
        }

        @Test func parseAndFormatRoundTrip() throws {
            for text in ["2026-03-02T10:15:00Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "1999-12-31T23:59:59Z",
                         "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-07-20T20:17:40Z", "2024-12-31T00:00:01Z"] {
                let date = try #require(Timestamp.parse(text), "\(text)")
                #expect(Timestamp.format(date) == text)
                #expect(Timestamp.parseStored(text) == date)
            }
            #expect(Timestamp.parse("2026-03-02T10:15:00Z") == Date(timeIntervalSince1970: 1_772_446_500))
        }

        @Test func parseReadsOffsetsAndFractions() throws {
            let base = Date(timeIntervalSince1970: 1_772_446_500)
            #expect(Timestamp.parse("2026-03-02T12:15:00+02:00") == base)
            #expect(Timestamp.parse("2026-03-02T04:45:00-05:30") == base)
            #expect(Timestamp.parse("2026-03-02T10:15:00+00:00") == base)
            #expect(Timestamp.parse("2026-03-02T10:15:00-00:00") == base)
            #expect(Timestamp.parse("2026-03-02t10:15:00z") == base)
            #expect(Timestamp.parse("2026-03-02 10:15:00Z") == base)
            // Across the date line: an offset moves the day.
            #expect(Timestamp.parse("2026-03-03T00:15:00+14:00") == base)
            #expect(Timestamp.parse("2026-01-01T01:00:00+02:00") == SupportUnitTests.utc(2025, 12, 31, 23))
            let fraction = try #require(Timestamp.parse("2026-03-02T10:15:00.5Z"))
            #expect(fraction.timeIntervalSince1970 == 1_772_446_500.5)
            #expect(Timestamp.format(fraction) == "2026-03-02T10:15:00Z")
            let fine = try #require(Timestamp.parse("2026-03-02T10:15:00.123456789+01:00"))
            #expect(abs(fine.timeIntervalSince1970 - (1_772_446_500 - 3600 + 0.123456789)) < 1e-6)
        }

        @Test func parseReadsALeapSecondAsTheSecondBefore() {
            #expect(Timestamp.parse("2016-12-31T23:59:60Z") == Timestamp.parse("2016-12-31T23:59:59Z"))
            #expect(Timestamp.parse("2016-12-31T23:59:61Z") == nil)
        }

        @Test func parseRefusesWhatIsNotRFC3339() {
            let refused = [
                "", "2026-03-02", "2026-03-02T10:15:00", "2026-03-02T10:15Z", "2026-03-02T10:15:00ZZ",
                "2026-03-02T10:15:00+0200", "2026-03-02T10:15:00+02", "2026-03-02T10:15:00+24:00", "2026-03-02T10:15:00+02:60",
                "2026-03-02T10:15:00.Z", "2026-03-02T10:15:00,5Z", "2026-03-02T10:15:00 Z", " 2026-03-02T10:15:00Z",
                "2026-03-02T10:15:00Z ", "2026-03-02X10:15:00Z", "2026/03/02T10:15:00Z", "2026-3-2T10:15:00Z",
                "26-03-02T10:15:00Z", "+2026-03-02T10:15:00Z", "-2026-03-02T10:15:00Z", "10000-01-01T00:00:00Z",
                "2026-03-02T24:00:00Z", "2026-03-02T23:60:00Z", "2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z",
                "2026-03-00T00:00:00Z", "2026-03-32T00:00:00Z", "2026-04-31T00:00:00Z", "2026-02-29T00:00:00Z",
                "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "２026-03-02T10:15:00Z", "2026-03-02T10:15:00UTC",
            ]
            for text in refused {
                #expect(Timestamp.parse(text) == nil, "\(text)")
            }
        }

        /// Found by these tests: an offset carried a time out of the years the stored form can write, and
        /// `hria new` with such an HRIA_NOW recorded an event no command could read back.
        @Test func parseRefusesWhatTheStoredFormCannotWrite() throws {
            #expect(Timestamp.parse("0000-01-01T00:00:00+01:00") == nil)
            #expect(Timestamp.parse("9999-12-31T23:59:59-00:01") == nil)
            for edge in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:59:00+00:59", "9999-12-31T22:00:00-01:59"] {
                let parsed = try #require(Timestamp.parse(edge), "\(edge)")
                #expect(Timestamp.parseStored(Timestamp.format(parsed)) == parsed, "\(edge) does not read back")
            }
        }

        @Test func leapYears() {
            #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
            #expect(Timestamp.parse("2000-02-29T00:00:00Z") != nil)
            #expect(Timestamp.parse("2400-02-29T00:00:00Z") != nil)
            #expect(Timestamp.parse("2023-02-29T00:00:00Z") == nil)
            #expect(Timestamp.parse("1900-02-29T00:00:00Z") == nil)
            #expect(Timestamp.parse("2024-02-29T00:00:00Z").map(Timestamp.format) == "2024-02-29T00:00:00Z")
            // The day after Feb 28 is Feb 29 in a leap year, March 1 otherwise.
            #expect(Timestamp.format(SupportUnitTests.utc(2024, 2, 28).addingTimeInterval(86_400)) == "2024-02-29T00:00:00Z")
            #expect(Timestamp.format(SupportUnitTests.utc(2023, 2, 28).addingTimeInterval(86_400)) == "2023-03-01T00:00:00Z")
            #expect(Timestamp.format(SupportUnitTests.utc(2100, 2, 28).addingTimeInterval(86_400)) == "2100-03-01T00:00:00Z")
        }

        @Test func storedFormIsExactlyTheWritersOwn() {
            #expect(Timestamp.parseStored("2026-03-02T10:15:00Z") == Date(timeIntervalSince1970: 1_772_446_500))
            // RFC 3339 forms that parse accepts, but that format would never write.
            for text in ["2026-03-02T10:15:00z", "2026-03-02t10:15:00Z", "2026-03-02 10:15:00Z", "2026-03-02T10:15:00+00:00",
                         "2026-03-02T10:15:00.0Z", "2016-12-31T23:59:60Z"] {
                #expect(Timestamp.parse(text) != nil, "\(text)")
                #expect(Timestamp.parseStored(text) == nil, "\(text)")
            }
            for text in ["", "2026-03-02T10:15:00", "2026-03-02T24:00:00Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                         "2026-03-02T10:60:00Z", "2026-03-02T10:15:00ZZ", "-026-03-02T10:15:00Z", "2026-03-02T1a:15:00Z"] {
                #expect(Timestamp.parseStored(text) == nil, "\(text)")
            }
        }

        @Test func storedFormWithADayCacheAgreesWithTheFullCheck() {
            var cache = Timestamp.DayCache()
            func stored(_ text: String) -> Date? {
                Array(text.utf8).withUnsafeBufferPointer { Timestamp.parseStored($0, days: &cache) }
            }
            #expect(stored("2026-03-02T10:15:00Z") == Date(timeIntervalSince1970: 1_772_446_500))
            // Same day: the cached day number is used, the time is still checked in full.
            #expect(stored("2026-03-02T23:59:59Z") == Date(timeIntervalSince1970: 1_772_495_999))
            #expect(stored("2026-03-02T00:00:00Z") == Date(timeIntervalSince1970: 1_772_409_600))
            #expect(stored("2026-03-02T24:00:00Z") == nil)
            #expect(stored("2026-03-02T10:60:00Z") == nil)
            #expect(stored("2026-03-02T10:15:60Z") == nil)
            #expect(stored("2026-03-02T10:15:00z") == nil)
            #expect(stored("2026-03-02X10:15:00Z") == nil)
            #expect(stored("2026-03-02T10:15:0aZ") == nil)
            // A refused line does not spoil the cache.
            #expect(stored("2026-03-02T10:15:01Z") == Date(timeIntervalSince1970: 1_772_446_501))
            // Another day, then an impossible one, then back.
            #expect(stored("2026-03-03T00:00:00Z") == Date(timeIntervalSince1970: 1_772_496_000))
            #expect(stored("2026-02-29T00:00:00Z") == nil)
            #expect(stored("2026-03-03T00:00:01Z") == Date(timeIntervalSince1970: 1_772_496_001))
        }

        @Test func textOrderIsTimeOrder() throws {
            let texts = ["2026-03-02T10:15:00Z", "1999-12-31T23:59:59Z", "2026-03-02T10:14:59Z", "0001-01-01T00:00:00Z",
                         "2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-03-02T10:15:01Z", "2026-12-01T00:00:00Z",
                         "2026-02-28T23:59:59Z"]
            let dates = try texts.map { try #require(Timestamp.parseStored($0)) }
            let byText = texts.sorted()
            let byTime = zip(texts, dates).sorted { $0.1 < $1.1 }.map(\.0)
            #expect(byText == byTime)
            #expect(byText.first == "0001-01-01T00:00:00Z")
            #expect(byText.last == "9999-12-31T23:59:59Z")
        }

        @Test func dayOfAMoment() {
            #expect(Timestamp.day(Date(timeIntervalSince1970: 1_772_446_500)) == CalendarDate(year: 2026, month: 3, day: 2))
            #expect(Timestamp.day(Date(timeIntervalSince1970: 1_772_495_999)) == CalendarDate(year: 2026, month: 3, day: 2))
            #expect(Timestamp.day(Date(timeIntervalSince1970: 1_772_496_000)) == CalendarDate(year: 2026, month: 3, day: 3))
            #expect(Timestamp.day(Date(timeIntervalSince1970: -1)) == CalendarDate(year: 1969, month: 12, day: 31))
        }

        @Test func civilConversionsAgreeOverFourCenturies() {
            // Every day from 1900 to 2300 converts to its calendar date and back.
            var days = Timestamp.daysFromCivil(1900, 1, 1)
            let end = Timestamp.daysFromCivil(2300, 1, 1)
            var previous = (1899, 12, 31)
            while days < end {
                let (y, m, d) = Timestamp.civil(fromDays: days)
                if Timestamp.daysFromCivil(y, m, d) != days {
                    Issue.record("day \(days) is \(y)-\(m)-\(d), which converts back to \(Timestamp.daysFromCivil(y, m, d))")
                    return
                }
                let next = d == 1 ? (m == 1 ? (previous.0 + 1, 1, 1) : (previous.0, previous.1 + 1, 1)) : (previous.0, previous.1, previous.2 + 1)
                if (y, m, d) != next || d > CalendarDate.daysIn(month: m, year: y) {
                    Issue.record("day \(days) is \(y)-\(m)-\(d) after \(previous)")
                    return
                }
                previous = (y, m, d)
                days += 1
            }
            #expect(previous == (2299, 12, 31))
        }
    }

    // MARK: - CalendarDate

    @Suite("SupportUnitTests.CalendarDate")
    struct CalendarDateTests {
        @Test func parsesExactlyYYYYMMDD() throws {
            let date = try #require(CalendarDate("2024-02-29"))
            #expect(date == CalendarDate(year: 2024, month: 2, day: 29))
            #expect(date.description == "2024-02-29")
            #expect(CalendarDate("0001-01-01")?.description == "0001-01-01")
            for text in ["", "2026-02-29", "2026-2-01", "2026-02-1", "26-02-01", "2026-02-01T00:00:00Z", "2026/02/01", "2026-13-01",
                         "2026-00-01", "2026-01-00", "2026-04-31", " 2026-02-01", "2026-02-01 ", "+026-02-01", "2026-0２-01",
                         "2026--2-01", "20260201"] {
                #expect(CalendarDate(text) == nil, "\(text)")
            }
        }

        @Test func ordering() throws {
            let dates = try ["2026-03-01", "2025-12-31", "2026-02-28", "2026-03-10", "2024-02-29"].map { try #require(CalendarDate($0)) }
            #expect(dates.sorted().map(\.description) == ["2024-02-29", "2025-12-31", "2026-02-28", "2026-03-01", "2026-03-10"])
            #expect(CalendarDate(year: 2026, month: 1, day: 31) < CalendarDate(year: 2026, month: 2, day: 1))
            #expect(!(CalendarDate(year: 2026, month: 2, day: 1) < CalendarDate(year: 2026, month: 2, day: 1)))
        }
    }

    // MARK: - ISODuration

    @Suite("SupportUnitTests.ISODuration")
    struct ISODurationTests {
        func parts(_ d: ISODuration) -> [Int] { [d.years, d.months, d.weeks, d.days, d.hours, d.minutes, d.seconds] }

        @Test func readsEachComponent() throws {
            let tenDays = try #require(ISODuration("P10D"))
            #expect(parts(tenDays) == [0, 0, 0, 10, 0, 0, 0])
            #expect(tenDays.text == "P10D")
            #expect(tenDays.description == "P10D")
            #expect(tenDays.inWords == "10 days")
            #expect(tenDays.approximateSeconds == 864_000)

            let twelveHours = try #require(ISODuration("PT12H"))
            #expect(parts(twelveHours) == [0, 0, 0, 0, 12, 0, 0])
            #expect(twelveHours.inWords == "12 hours")
            #expect(twelveHours.approximateSeconds == 43_200)

            let yearAndMonths = try #require(ISODuration("P1Y2M"))
            #expect(parts(yearAndMonths) == [1, 2, 0, 0, 0, 0, 0])
            #expect(yearAndMonths.inWords == "1 year and 2 months")

            let twoWeeks = try #require(ISODuration("P2W"))
            #expect(parts(twoWeeks) == [0, 0, 2, 0, 0, 0, 0])
            #expect(twoWeeks.inWords == "2 weeks")
            #expect(twoWeeks.approximateSeconds == 14 * 86_400)
        }

        @Test func monthsAndMinutesAreToldApartByT() throws {
            #expect(parts(try #require(ISODuration("P1M"))) == [0, 1, 0, 0, 0, 0, 0])
            #expect(parts(try #require(ISODuration("PT1M"))) == [0, 0, 0, 0, 0, 1, 0])
            #expect(try #require(ISODuration("PT1M")).inWords == "1 minute")
            #expect(try #require(ISODuration("P1M")).inWords == "1 month")
        }

        @Test func everyComponentInOrder() throws {
            let all = try #require(ISODuration("P1Y2M3W4DT5H6M7S"))
            #expect(parts(all) == [1, 2, 3, 4, 5, 6, 7])
            #expect(all.inWords == "1 year, 2 months, 3 weeks, 4 days, 5 hours, 6 minutes and 7 seconds")
            #expect(all.approximateSeconds == TimeInterval(((365 + 60 + 21 + 4) * 24 + 5) * 3600 + 6 * 60 + 7))
            #expect(parts(try #require(ISODuration("P1DT1S"))) == [0, 0, 0, 1, 0, 0, 1])
            #expect(try #require(ISODuration("PT30S")).inWords == "30 seconds")
        }

        @Test func zeroAndLargestNumbers() throws {
            let zero = try #require(ISODuration("P0D"))
            #expect(parts(zero) == [0, 0, 0, 0, 0, 0, 0])
            #expect(zero.inWords == "no time")
            #expect(zero.approximateSeconds == 0)
            // Six digits at most per component.
            #expect(try #require(ISODuration("P999999D")).days == 999_999)
            #expect(try #require(ISODuration("P000010D")).days == 10)
            #expect(ISODuration("P1000000D") == nil)
        }

        @Test func refusesWhatIsNotADuration() {
            let refused = [
                "", "P", "PT", "P1DT", "T1H", "1D", "-P1D", "P-1D", "PT-1H", "+P1D", "P+1D", "p10d", "P10d", "pt12h", "PT12h",
                "10 days", "P 1D", " P1D", "P1D ", "P1.5D", "P1,5D", "P1D2Y", "P1M1Y", "PT1S1H", "P1D1D", "PT1H1H", "P1H",
                "PT1D", "PT1Y", "PT1W", "P1S", "PTT1H", "P1DTT1H", "P1DT1HT1M", "P1DT1H2", "PD", "PTH", "P1", "PT1",
                "P99999999999999999999D", "P9223372036854775808Y", "P1234567D", "P١D", "P１D", "P1X", "P1DX",
            ]
            for text in refused {
                #expect(ISODuration(text) == nil, "\(text)")
            }
        }

        @Test func addingDaysAndHoursCrossesMonthsAndYears() throws {
            let tenDays = try #require(ISODuration("P10D"))
            #expect(Timestamp.format(tenDays.added(to: SupportUnitTests.utc(2026, 2, 25, 9))) == "2026-03-07T09:00:00Z")
            #expect(Timestamp.format(tenDays.added(to: SupportUnitTests.utc(2024, 2, 25, 9))) == "2024-03-06T09:00:00Z")
            #expect(Timestamp.format(tenDays.added(to: SupportUnitTests.utc(2025, 12, 27))) == "2026-01-06T00:00:00Z")
            let twelveHours = try #require(ISODuration("PT12H"))
            #expect(Timestamp.format(twelveHours.added(to: SupportUnitTests.utc(2026, 3, 2, 18, 30))) == "2026-03-03T06:30:00Z")
            #expect(Timestamp.format(twelveHours.added(to: SupportUnitTests.utc(2024, 2, 28, 12))) == "2024-02-29T00:00:00Z")
            let twoWeeks = try #require(ISODuration("P2W"))
            #expect(Timestamp.format(twoWeeks.added(to: SupportUnitTests.utc(2025, 12, 25, 8, 5, 3))) == "2026-01-08T08:05:03Z")
            let all = try #require(ISODuration("PT1H1M1S"))
            #expect(Timestamp.format(all.added(to: SupportUnitTests.utc(2026, 12, 31, 22, 58, 59))) == "2027-01-01T00:00:00Z")
        }

        @Test func addingMonthsAndYearsStaysInTheMonth() throws {
            let oneMonth = try #require(ISODuration("P1M"))
            #expect(Timestamp.format(oneMonth.added(to: SupportUnitTests.utc(2026, 1, 31, 10))) == "2026-02-28T10:00:00Z")
            #expect(Timestamp.format(oneMonth.added(to: SupportUnitTests.utc(2024, 1, 31, 10))) == "2024-02-29T10:00:00Z")
            #expect(Timestamp.format(oneMonth.added(to: SupportUnitTests.utc(2026, 3, 31))) == "2026-04-30T00:00:00Z")
            #expect(Timestamp.format(oneMonth.added(to: SupportUnitTests.utc(2026, 12, 15))) == "2027-01-15T00:00:00Z")
            let oneYear = try #require(ISODuration("P1Y"))
            #expect(Timestamp.format(oneYear.added(to: SupportUnitTests.utc(2024, 2, 29))) == "2025-02-28T00:00:00Z")
            #expect(Timestamp.format(oneYear.added(to: SupportUnitTests.utc(2023, 3, 1))) == "2024-03-01T00:00:00Z")
            let yearAndMonths = try #require(ISODuration("P1Y2M"))
            #expect(Timestamp.format(yearAndMonths.added(to: SupportUnitTests.utc(2025, 12, 31))) == "2027-02-28T00:00:00Z")
            #expect(Timestamp.format(yearAndMonths.added(to: SupportUnitTests.utc(2026, 3, 2, 10, 15))) == "2027-05-02T10:15:00Z")
            let sixMonths = try #require(ISODuration("P6M"))
            #expect(Timestamp.format(sixMonths.added(to: SupportUnitTests.utc(2026, 8, 31))) == "2027-02-28T00:00:00Z")
        }
    }

    // MARK: - FactValues

    @Suite("SupportUnitTests.FactValues")
    struct FactValuesTests {
        func value(_ text: String, _ type: FactType, fact: String = "f") -> JSONValue? {
            try? FactValues.parse(text, as: type, fact: fact).get()
        }

        func problem(_ text: String, _ type: FactType, fact: String = "f") -> ValueProblem? {
            if case .failure(let problem) = FactValues.parse(text, as: type, fact: fact) { return problem }
            return nil
        }

        @Test func bools() {
            #expect(value("true", .bool) == .bool(true))
            #expect(value("false", .bool) == .bool(false))
            for text in ["", "True", "FALSE", "yes", "no", "1", "0", " true", "true ", "t"] {
                #expect(value(text, .bool) == nil, "\(text)")
            }
            #expect(problem("yes", .bool, fact: "flagged") == ValueProblem("fact flagged is true or false, not \"yes\""))
            #expect(problem("", .bool, fact: "flagged") == ValueProblem("fact flagged is true or false, not \"\""))
        }

        @Test func intsWithinBounds() {
            let score = FactType.int(min: 0, max: 10)
            #expect(value("0", score) == .int(0))
            #expect(value("10", score) == .int(10))
            #expect(value("7", score) == .int(7))
            #expect(value("-0", score) == .int(0))
            #expect(problem("-1", score, fact: "score") == ValueProblem("fact score must be at least 0, not -1"))
            #expect(problem("11", score, fact: "score") == ValueProblem("fact score must be at most 10, not 11"))
            #expect(problem("9223372036854775807", score, fact: "score")
                == ValueProblem("fact score must be at most 10, not 9223372036854775807"))
        }

        @Test func intsWithOneOrNoBound() {
            let unbounded = FactType.int(min: nil, max: nil)
            #expect(value("9223372036854775807", unbounded) == .int(Int.max))
            #expect(value("-9223372036854775808", unbounded) == .int(Int.min))
            #expect(value("-5", .int(min: nil, max: 0)) == .int(-5))
            #expect(problem("1", .int(min: nil, max: 0), fact: "n") == ValueProblem("fact n must be at most 0, not 1"))
            #expect(value("500", .int(min: 100, max: nil)) == .int(500))
            #expect(problem("99", .int(min: 100, max: nil), fact: "n") == ValueProblem("fact n must be at least 100, not 99"))
        }

        @Test func thingsThatAreNotWholeNumbers() {
            let unbounded = FactType.int(min: nil, max: nil)
            for text in ["", " ", "1.5", "1e3", "ten", " 5", "5 ", "0x10", "1_000", "1,000", "٣", "--1", "9223372036854775808",
                         "-9223372036854775809", "99999999999999999999999999"] {
                #expect(problem(text, unbounded, fact: "score") == ValueProblem("fact score is a whole number, not \"\(text)\""), "\(text)")
            }
        }

        @Test func enumerationsWithSuggestions() {
            let tier = FactType.enumeration(["low", "moderate", "high"])
            #expect(value("high", tier) == .string("high"))
            #expect(value("moderate", tier) == .string("moderate"))
            let nearMiss = problem("hgih", tier, fact: "tier")
            #expect(nearMiss?.message == "\"hgih\" is not a value of fact tier (low, moderate, high)")
            #expect(nearMiss?.suggestion == "high")
            #expect(problem("moderat", tier, fact: "tier")?.suggestion == "moderate")
            #expect(problem("lo", tier, fact: "tier")?.suggestion == "low")
            // Values are case sensitive; nothing close enough, no suggestion.
            #expect(problem("HIGH", tier)?.suggestion == nil)
            #expect(problem("HIGH", tier)?.message == "\"HIGH\" is not a value of fact f (low, moderate, high)")
            #expect(problem("catastrophic", tier)?.suggestion == nil)
            #expect(problem("", tier) == ValueProblem("\"\" is not a value of fact f (low, moderate, high)"))
            #expect(problem(" high", tier)?.suggestion == "high")
        }

        @Test func stringsTakeAnyText() {
            #expect(value("anything at all", .string) == .string("anything at all"))
            #expect(value("", .string) == .string(""))
            #expect(value("line\nbreak \"quoted\" é", .string) == .string("line\nbreak \"quoted\" é"))
        }

        @Test func dates() {
            #expect(value("2024-02-29", .date) == .string("2024-02-29"))
            #expect(value("2026-12-31", .date) == .string("2026-12-31"))
            for text in ["", "2026-02-29", "2026-2-1", "2026-02-28T00:00:00Z", "02/28/2026", "today", "2026-13-01"] {
                #expect(problem(text, .date, fact: "due_on") == ValueProblem("fact due_on is a date written YYYY-MM-DD, not \"\(text)\""), "\(text)")
            }
        }

        @Test func conformsAgreesWithParse() {
            let types: [FactType] = [.bool, .int(min: 0, max: 10), .int(min: nil, max: nil), .enumeration(["a", "b"]), .string, .date]
            let texts = ["true", "false", "0", "10", "11", "-1", "a", "c", "", "2024-02-29", "2026-02-29", "x"]
            for type in types {
                for text in texts {
                    if case .success(let json) = FactValues.parse(text, as: type, fact: "f") {
                        #expect(FactValues.conforms(json, to: type), "\(text) as \(type)")
                    }
                }
            }
            #expect(!FactValues.conforms(.int(11), to: FactType.int(min: 0, max: 10)))
            #expect(!FactValues.conforms(.string("true"), to: FactType.bool))
            #expect(!FactValues.conforms(.int(1), to: FactType.string))
            #expect(!FactValues.conforms(.string("2026-02-29"), to: FactType.date))
            #expect(!FactValues.conforms(.string("c"), to: FactType.enumeration(["a", "b"])))
            #expect(!FactValues.conforms(.null, to: FactType.string))
            #expect(!FactValues.conforms(.string("a\nb"), to: FieldType.string))
            #expect(FactValues.conforms(.string("a\nb"), to: FieldType.text))
            #expect(!FactValues.conforms(.int(0), to: FieldType.int(1...5)))
        }

        @Test func evidenceFields() {
            func field(_ text: String, _ type: FieldType) -> Result<JSONValue, ValueProblem> {
                FactValues.parse(text, as: type, field: "summary")
            }
            #expect(field("one line", .string) == .success(.string("one line")))
            #expect(field("two\nlines", .string) == .failure(ValueProblem("field summary is one line of text; use a text field for several lines")))
            #expect(field("two\nlines", .text) == .success(.string("two\nlines")))
            #expect(field("5", .int(1...5)) == .success(.int(5)))
            #expect(field("6", .int(1...5)) == .failure(ValueProblem("field summary must be from 1 to 5, not 6")))
            #expect(field("0", .int(1...5)) == .failure(ValueProblem("field summary must be from 1 to 5, not 0")))
            #expect(field("x", .int(nil)) == .failure(ValueProblem("field summary is a whole number, not \"x\"")))
            #expect(field("2024-02-29", .date) == .success(.string("2024-02-29")))
            #expect(field("2023-02-29", .date) == .failure(ValueProblem("field summary is a date written YYYY-MM-DD, not \"2023-02-29\"")))
            #expect(field("hihg", .enumeration(["low", "high"])) == .failure(ValueProblem("\"hihg\" is not a value of field summary (low, high)", suggestion: "high")))
            #expect(field("no", .bool) == .failure(ValueProblem("field summary is true or false, not \"no\"")))
        }

        @Test func displayAndPlain() {
            #expect(FactValues.display(.string("high")) == "\"high\"")
            #expect(FactValues.plain(.string("high")) == "high")
            #expect(FactValues.display(.int(-3)) == "-3")
            #expect(FactValues.display(.bool(true)) == "true")
            #expect(FactValues.display(.null) == "nothing")
            #expect(FactValues.display(.array([.int(1), .string("a")])) == #"[1,"a"]"#)
            #expect(FactValues.plain(.int(7)) == "7")
        }

        @Test func guardValuesOfStoredFacts() {
            #expect(FactValues.guardValue(.string("2024-02-29"), as: FactType.date) == .date(CalendarDate(year: 2024, month: 2, day: 29)))
            #expect(FactValues.guardValue(.string("2023-02-29"), as: FactType.date) == nil)
            #expect(FactValues.guardValue(.int(4), as: FactType.int(min: 0, max: 3)) == .int(4))
            #expect(FactValues.guardValue(.string("4"), as: FactType.int(min: nil, max: nil)) == nil)
            #expect(FactValues.guardValue(.bool(false), as: FactType.bool) == .bool(false))
            #expect(FactValues.guardValue(.string("x"), as: FactType.enumeration(["y"])) == .string("x"))
        }
    }

    // MARK: - WorkspaceConfiguration

    @Suite("SupportUnitTests.WorkspaceConfiguration")
    struct WorkspaceConfigurationTests {
        static let minimal = """
        schema: hria.workspace/v1
        organisation: Example Org
        origin: example.org/hria
        people:
          ana: { roles: [assessor] }
        """

        func load(_ text: String) -> (WorkspaceConfiguration?, [Diagnostic]) {
            WorkspaceConfiguration.load(text: text, fileName: "hria.yaml")
        }

        func rules(_ text: String) -> [String] { load(text).1.map(\.rule) }

        @Test func minimalConfiguration() throws {
            let (loaded, diagnostics) = load(Self.minimal)
            #expect(diagnostics.isEmpty)
            let configuration = try #require(loaded)
            #expect(configuration.organisation == "Example Org")
            #expect(configuration.origin == "example.org/hria")
            #expect(configuration.logKey == nil)
            #expect(configuration.requireSignatures == false)
            #expect(configuration.lockTimeoutSeconds == 10)
            #expect(configuration.people.count == 1)
            let ana = try #require(configuration.person("ana"))
            #expect(ana.name == "ana")
            #expect(ana.roles == ["assessor"])
            #expect(ana.key == nil)
            #expect(configuration.person("bob") == nil)
        }

        @Test func whatInitWritesLoadsBack() throws {
            let text = WorkspaceInitializer.configurationText(organisation: "Org \"quoted\" \\ back", origin: "example.org/x",
                                                              logKey: "example.org/x+01234567+AAAA")
            let (loaded, diagnostics) = load(text)
            #expect(diagnostics.isEmpty)
            let configuration = try #require(loaded)
            #expect(configuration.organisation == "Org \"quoted\" \\ back")
            #expect(configuration.origin == "example.org/x")
            #expect(configuration.logKey == "example.org/x+01234567+AAAA")
            // Who may act is the roster's business, not hria.yaml's.
            #expect(configuration.people.isEmpty)
            #expect(!text.contains("people:"))
            #expect(!text.contains("require_signatures"))
            #expect(configuration.lockTimeoutSeconds == 10)
        }

        @Test func policiesAndKeys() throws {
            let text = Self.minimal + """

              bo.b-2: { name: "Bob B", roles: [reviewer, approver], key: "bob+0badc0de+AAAA" }
            log_key: "example.org/hria+01234567+AAAA"
            policies:
              require_signatures: true
              lock_timeout_seconds: 3600
            """
            let (loaded, diagnostics) = load(text)
            #expect(diagnostics.isEmpty)
            let configuration = try #require(loaded)
            #expect(configuration.people.map(\.id) == ["ana", "bo.b-2"])
            #expect(configuration.person("bo.b-2")?.roles == ["reviewer", "approver"])
            #expect(configuration.person("bo.b-2")?.key == "bob+0badc0de+AAAA")
            #expect(configuration.person("bo.b-2")?.name == "Bob B")
            #expect(configuration.requireSignatures == true)
            #expect(configuration.lockTimeoutSeconds == 3600)
            #expect(configuration.logKey == "example.org/hria+01234567+AAAA")
            let zero = load(Self.minimal + "\npolicies: { lock_timeout_seconds: 0 }")
            #expect(zero.1.isEmpty)
            #expect(zero.0?.lockTimeoutSeconds == 0)
        }

        @Test func emptyFileIsRefused() throws {
            for text in ["", "# only a comment\n"] {
                let (loaded, diagnostics) = load(text)
                #expect(loaded == nil)
                let first = try #require(diagnostics.first)
                #expect(diagnostics.count == 1)
                #expect(first.rule == "missing-key")
                #expect(first.message == "hria.yaml is empty")
                #expect(first.help == "create one with hria init")
            }
        }

        @Test func unknownKeysAreRefusedWithASuggestion() throws {
            let text = Self.minimal.replacingOccurrences(of: "organisation:", with: "organization:")
            let (loaded, diagnostics) = load(text)
            #expect(loaded == nil)
            let unknown = try #require(diagnostics.first { $0.rule == "unknown-key" })
            #expect(unknown.message == "unknown key \"organization\" in hria.yaml")
            #expect(unknown.help == "did you mean \"organisation\"?")
            #expect(unknown.location == SourceLocation(line: 2, column: 1))
            #expect(unknown.pointer == "/organization")
            // The real key is now missing too.
            #expect(diagnostics.contains { $0.rule == "missing-key" && $0.message == "hria.yaml has no \"organisation\"" })
        }

        @Test func unknownKeysInPeopleAndPolicies() throws {
            let person = load(Self.minimal.replacingOccurrences(of: "{ roles: [assessor] }", with: "{ roles: [assessor], email: a@b }"))
            #expect(person.0 == nil)
            #expect(person.1.map(\.rule) == ["unknown-key"])
            #expect(person.1.first?.message == "unknown key \"email\" in person \"ana\"")
            let policy = load(Self.minimal + "\npolicies: { require_signature: true }")
            #expect(policy.0 == nil)
            #expect(policy.1.map(\.rule) == ["unknown-key"])
            #expect(policy.1.first?.help == "did you mean \"require_signatures\"?")
        }

        @Test func duplicatePersonIDsAreRefused() throws {
            let text = Self.minimal + "\n  ana: { roles: [approver] }"
            let (loaded, diagnostics) = load(text)
            #expect(loaded == nil)
            let duplicate = try #require(diagnostics.first)
            #expect(diagnostics.map(\.rule) == ["duplicate-key"])
            #expect(duplicate.severity == .error)
            #expect(duplicate.message == "key \"ana\" is already defined in this mapping")
            #expect(duplicate.location == SourceLocation(line: 6, column: 3))
        }

        @Test func duplicateTopLevelKeysAreRefused() {
            let (loaded, diagnostics) = load(Self.minimal + "\norigin: other.example/hria")
            #expect(loaded == nil)
            #expect(diagnostics.map(\.rule) == ["duplicate-key"])
            #expect(diagnostics.first?.message == "key \"origin\" is already defined in this mapping")
        }

        @Test func badOriginsAreRefused() throws {
            for origin in ["\"\"", "\"example.org/a b\"", "\"example.org+x\"", "\"exämple.org\"", "\"tab\\there\""] {
                let (loaded, diagnostics) = load(Self.minimal.replacingOccurrences(of: "origin: example.org/hria", with: "origin: \(origin)"))
                #expect(loaded == nil, "\(origin)")
                #expect(diagnostics.map(\.rule) == ["invalid-value"], "\(origin)")
                #expect(diagnostics.first?.message.hasSuffix("is not a usable log origin") == true, "\(origin)")
                #expect(diagnostics.first?.pointer == "/origin")
            }
            #expect(WorkspaceConfiguration.isOrigin("example.org/hria"))
            #expect(WorkspaceConfiguration.isOrigin("a"))
            #expect(WorkspaceConfiguration.isOrigin("~!@#$%^&*()_=[]{};:'\",.<>/?`|\\-"))
            #expect(!WorkspaceConfiguration.isOrigin(""))
            #expect(!WorkspaceConfiguration.isOrigin("a+b"))
            #expect(!WorkspaceConfiguration.isOrigin("a b"))
            #expect(!WorkspaceConfiguration.isOrigin("a\u{7F}"))
            #expect(!WorkspaceConfiguration.isOrigin("é"))
        }

        @Test func missingRequiredKeys() {
            let (loaded, diagnostics) = load("schema: hria.workspace/v1\norganisation: X\n")
            #expect(loaded == nil)
            // people: is optional: a workspace with a roster has none.
            #expect(diagnostics.map(\.message) == ["hria.yaml has no \"origin\""])
            let noRoles = load(Self.minimal.replacingOccurrences(of: "{ roles: [assessor] }", with: "{ name: Ana }"))
            #expect(noRoles.0 == nil)
            #expect(noRoles.1.map(\.message) == ["person \"ana\" has no \"roles\""])
        }

        @Test func wrongTypesAreRefused() {
            func only(_ text: String) -> [String] { rules(text) }
            #expect(only("- a\n- b") == ["wrong-type"])
            #expect(only(Self.minimal.replacingOccurrences(of: "  ana: { roles: [assessor] }", with: "  - ana")) == ["wrong-type"])
            #expect(only(Self.minimal.replacingOccurrences(of: "roles: [assessor]", with: "roles: assessor")) == ["wrong-type"])
            #expect(only(Self.minimal.replacingOccurrences(of: "{ roles: [assessor] }", with: "assessor")) == ["wrong-type"])
            #expect(only(Self.minimal.replacingOccurrences(of: "organisation: Example Org", with: "organisation: [a, b]")) == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: { require_signatures: \"true\" }") == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: { require_signatures: yes }") == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: { lock_timeout_seconds: ten }") == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: { lock_timeout_seconds: \"10\" }") == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: { lock_timeout_seconds: 1.5 }") == ["wrong-type"])
            #expect(only(Self.minimal + "\npolicies: [require_signatures]") == ["wrong-type"])
            #expect(load(Self.minimal + "\npolicies: { lock_timeout_seconds: \"10\" }").1.first?.help == "remove the quotes")
        }

        @Test func outOfRangeAndInvalidValues() {
            #expect(rules(Self.minimal + "\npolicies: { lock_timeout_seconds: 3601 }") == ["invalid-value"])
            #expect(rules(Self.minimal + "\npolicies: { lock_timeout_seconds: -1 }") == ["invalid-value"])
            #expect(load(Self.minimal + "\npolicies: { lock_timeout_seconds: 3601 }").1.first?.message
                == "lock_timeout_seconds must be between 0 and 3600")
            #expect(rules(Self.minimal.replacingOccurrences(of: "schema: hria.workspace/v1", with: "schema: hria.workspace/v2")) == ["unknown-schema"])
            #expect(rules(Self.minimal.replacingOccurrences(of: "schema: hria.workspace/v1", with: "schema: hria.workflow/v1")) == ["unknown-schema"])
            #expect(rules(Self.minimal.replacingOccurrences(of: "  ana:", with: "  Ana:")) == ["invalid-id"])
            #expect(rules(Self.minimal.replacingOccurrences(of: "  ana:", with: "  1ana:")) == ["invalid-id"])
            #expect(rules(Self.minimal.replacingOccurrences(of: "[assessor]", with: "[Assessor]")) == ["invalid-id"])
            #expect(rules(Self.minimal.replacingOccurrences(of: "organisation: Example Org", with: "organisation: no")) == ["yaml11-bool"])
        }

        @Test func everyProblemIsReportedInReadingOrder() {
            let text = """
            schema: hria.workspace/v9
            organisation: X
            origin: "a b"
            colour: blue
            people:
              Ana: { roles: [assessor] }
            """
            let (loaded, diagnostics) = load(text)
            #expect(loaded == nil)
            #expect(diagnostics.map(\.rule) == ["unknown-schema", "invalid-value", "unknown-key", "invalid-id"])
            #expect(diagnostics.map(\.location.line) == [1, 3, 4, 6])
            #expect(diagnostics.allSatisfy { $0.file == "hria.yaml" && $0.severity == .error })
        }

        @Test func yamlSyntaxErrorsAreDiagnostics() {
            let (loaded, diagnostics) = load("schema: [unclosed\n")
            #expect(loaded == nil)
            #expect(diagnostics.map(\.rule) == ["yaml-syntax"])
        }
    }

    // MARK: - StateCache

    @Suite("SupportUnitTests.StateCache")
    struct StateCacheTests {
        let root: URL
        let fs = PosixFileSystem()

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hria-statecache-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }

        var folder: URL { root.appendingPathComponent("cache") }

        func cache(key: String = "PRIVATE+KEY+test-key-one\n") -> StateCache {
            StateCache(folder: folder.path, fs: fs, seal: CacheSeal(logKeyFile: Array(key.utf8)))
        }

        func snapshot(id: String = "hria-0001", version: Int = StateCache.Snapshot.version) throws -> StateCache.Snapshot {
            var position = AssessmentLog.Position()
            for line in [#"{"seq":0}"#, #"{"seq":1}"#, #"{"seq":2}"#] { position.advance(over: Array(line.utf8)) }
            var state = AssessmentState()
            state.id = id
            state.partner = "Partner é"
            state.stage = "screening"
            state.workflowSHA256 = String(repeating: "ab", count: 32)
            state.createdAt = Date(timeIntervalSince1970: 1_772_446_500)
            state.facts["score"] = AssessmentState.RecordedFact(value: .int(7), seq: 1, actor: "ana", time: Date(timeIntervalSince1970: 1_772_446_501))
            state.digests = ["d1", "d2"]
            state.size = 3
            let digest = try #require(SHA256Hash(bytes: (0..<32).map { UInt8($0) }))
            return StateCache.Snapshot(version: version, id: id, position: position, tornTail: 5, checkpointSize: 3,
                                       fingerprint: FolderFingerprint(digest: digest), state: state, latestRoster: 4, rosterRoot: digest)
        }

        func fileBytes(_ id: String) throws -> [UInt8] { try fs.readAll(cache().path(id)) }

        func replaceFile(_ id: String, with bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: cache().path(id)))
        }

        @Test func writtenSnapshotReadsBack() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let original = try snapshot()
            // The folder does not exist yet: writing creates it.
            #expect(!FileManager.default.fileExists(atPath: folder.path))
            cache().write("hria-0001", original)
            let back = try #require(cache().read("hria-0001"))
            #expect(back.version == StateCache.Snapshot.version)
            #expect(back.id == "hria-0001")
            #expect(back.position == original.position)
            #expect(back.position.eventCount == 3)
            #expect(back.position.byteCount == 3 * 10)
            #expect(back.position.tree.root() == original.position.tree.root())
            #expect(back.tornTail == 5)
            #expect(back.checkpointSize == 3)
            #expect(back.fingerprint == original.fingerprint)
            #expect(back.state.partner == "Partner é")
            #expect(back.state.stage == "screening")
            #expect(back.state.createdAt == Date(timeIntervalSince1970: 1_772_446_500))
            #expect(back.state.facts["score"]?.value == .int(7))
            #expect(back.state.facts["score"]?.actor == "ana")
            #expect(back.state.digests == ["d1", "d2"])
            #expect(back.state.size == 3)
            // Written atomically: only the snapshot is left in the folder, no temporary file.
            #expect(fs.listDirectory(folder.path).sorted() == ["hria-0001.json"])
            // The file is the body and one line with its seal.
            let bytes = try fileBytes("hria-0001")
            let newline = try #require(bytes.lastIndex(of: 0x0A))
            #expect(bytes.count - newline - 1 == 64)
        }

        @Test func rewritingReplacesTheSnapshot() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            var first = try snapshot()
            cache().write("hria-0001", first)
            first.tornTail = 0
            first.state.stage = "review"
            cache().write("hria-0001", first)
            let back = try #require(cache().read("hria-0001"))
            #expect(back.tornTail == 0)
            #expect(back.state.stage == "review")
        }

        @Test func missingSnapshotIsNil() {
            defer { try? FileManager.default.removeItem(at: root) }
            #expect(cache().read("hria-0001") == nil)
        }

        @Test func snapshotSealedWithAnotherKeyIsNotRead() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            cache(key: "PRIVATE+KEY+someone-else\n").write("hria-0001", try snapshot())
            #expect(cache(key: "PRIVATE+KEY+someone-else\n").read("hria-0001") != nil)
            #expect(cache().read("hria-0001") == nil)
            // Keys that differ only in their last byte.
            #expect(cache(key: "PRIVATE+KEY+someone-else").read("hria-0001") == nil)
        }

        @Test func truncatedSnapshotIsNotRead() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            cache().write("hria-0001", try snapshot())
            let bytes = try fileBytes("hria-0001")
            #expect(cache().read("hria-0001") != nil)
            for keep in [0, 1, bytes.count / 2, bytes.count - 65, bytes.count - 64, bytes.count - 2, bytes.count - 1] {
                try replaceFile("hria-0001", with: Array(bytes.prefix(keep)))
                #expect(cache().read("hria-0001") == nil, "kept \(keep) of \(bytes.count) bytes")
            }
            // Extra bytes after the seal are damage too.
            try replaceFile("hria-0001", with: bytes + [0x0A])
            #expect(cache().read("hria-0001") == nil)
            try replaceFile("hria-0001", with: bytes + Array("0".utf8))
            #expect(cache().read("hria-0001") == nil)
        }

        @Test func everyFlippedBitIsNoticed() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            cache().write("hria-0001", try snapshot())
            let bytes = try fileBytes("hria-0001")
            var believed: [Int] = []
            for index in bytes.indices {
                for bit in [0, 5, 7] {
                    var damaged = bytes
                    damaged[index] ^= UInt8(1) << bit
                    if cache().seal.open(damaged) != nil { believed.append(index) }
                }
            }
            #expect(believed.isEmpty, "flips at \(believed.prefix(10)) were believed")
            // And through the file: a flip in the body and one in the seal.
            for index in [bytes.count / 3, bytes.count - 3] {
                var damaged = bytes
                damaged[index] ^= 0x01
                try replaceFile("hria-0001", with: damaged)
                #expect(cache().read("hria-0001") == nil, "flip at \(index)")
            }
        }

        @Test func snapshotOfAnotherVersionIsNotRead() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            cache().write("hria-0001", try snapshot(version: StateCache.Snapshot.version - 1))
            #expect(try fileBytes("hria-0001").isEmpty == false)
            #expect(cache().read("hria-0001") == nil)
            cache().write("hria-0001", try snapshot(version: StateCache.Snapshot.version + 1))
            #expect(cache().read("hria-0001") == nil)
            cache().write("hria-0001", try snapshot())
            #expect(cache().read("hria-0001")?.version == StateCache.Snapshot.version)
        }

        @Test func snapshotOfAnotherAssessmentIsNotRead() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            // Written under one name but holding another assessment's id (a copied or renamed file).
            cache().write("hria-0001", try snapshot(id: "hria-0002"))
            #expect(cache().read("hria-0001") == nil)
            cache().write("hria-0002", try snapshot(id: "hria-0002"))
            try replaceFile("hria-0003", with: try fileBytes("hria-0002"))
            #expect(cache().read("hria-0003") == nil)
            #expect(cache().read("hria-0002")?.id == "hria-0002")
        }

        @Test func validlySealedGarbageIsNotRead() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let seal = cache().seal
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for body in ["", "{}", "not json", #"{"version":5,"id":"hria-0001"}"#] {
                try replaceFile("hria-0001", with: seal.seal(Array(body.utf8)))
                #expect(cache().read("hria-0001") == nil, "\(body)")
            }
        }

        @Test func sealOpensOnlyWhatItSealed() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let seal = CacheSeal(logKeyFile: Array("key".utf8))
            for body in ["", "x", "line one\nline two\n", "{\"a\":1}"] {
                let sealed = seal.seal(Array(body.utf8))
                #expect(seal.open(sealed) == Array(body.utf8))
                #expect(sealed.count == body.utf8.count + 1 + 64)
                #expect(CacheSeal(logKeyFile: Array("key2".utf8)).open(sealed) == nil)
            }
            // The same body and key always give the same seal; another key another one.
            #expect(seal.seal([1, 2, 3]) == CacheSeal(logKeyFile: Array("key".utf8)).seal([1, 2, 3]))
            #expect(seal.seal([1, 2, 3]) != CacheSeal(logKeyFile: Array("kez".utf8)).seal([1, 2, 3]))
            // The seal is lowercase hex only.
            let sealed = seal.seal(Array("body".utf8))
            let upper = Array(String(decoding: sealed, as: UTF8.self).uppercased().utf8)
            #expect(seal.open(upper) == nil)
            #expect(seal.open([]) == nil)
            #expect(seal.open(Array("no newline at all".utf8)) == nil)
        }
    }
}
