import CalendarModel
import Testing

@Suite struct TimeTests {
    @Test func epochDaysRoundTripAcrossCenturies() {
        // Every day from 1600 to 2400 survives the civil-date conversion both ways.
        var d = LocalDate(year: 1600, month: 1, day: 1)
        var n = d.daysSinceEpoch
        while d.year < 2400 {
            #expect(LocalDate(daysSinceEpoch: n) == d)
            let next = d.adding(days: 1)
            #expect(next.daysSinceEpoch == n + 1)
            #expect(next.isValid)
            d = next
            n += 1
        }
        #expect(LocalDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(LocalDate(year: 2000, month: 3, day: 1).daysSinceEpoch == 11_017)
    }

    @Test func leapYears() {
        #expect(LocalDate(year: 2024, month: 2, day: 29).isValid)
        #expect(!LocalDate(year: 2025, month: 2, day: 29).isValid)
        #expect(LocalDate(year: 2000, month: 2, day: 29).isValid)
        #expect(!LocalDate(year: 1900, month: 2, day: 29).isValid)
    }

    @Test(arguments: [
        ("PT15M", -1), ("-PT15M", -1), ("P1D", -1), ("P2W", -1), ("P1DT2H3M4S", -1), ("PT0S", -1), ("+PT1H", 3600),
    ])
    func durationsRoundTrip(text: String, seconds: Int) throws {
        let d = try #require(ICalDuration(icalString: text))
        #expect(ICalDuration(icalString: d.icalString) == d)
        if seconds >= 0 { #expect(d.totalSeconds == seconds) }
    }

    @Test func malformedDurationsAreRejected() {
        for bad in ["", "P", "PT", "15M", "P1H", "PT1D", "P1.5D", "PXD"] {
            #expect(ICalDuration(icalString: bad) == nil, "\(bad)")
        }
        #expect(ICalDuration(icalString: "-P1DT12H")?.totalSeconds == -(86_400 + 43_200))
    }

    @Test func icalValues() throws {
        #expect(EventTime(icalValue: "20240229", tzid: nil) == .date(LocalDate(year: 2024, month: 2, day: 29)))
        #expect(EventTime(icalValue: "20240101T090000Z", tzid: "Europe/Berlin") == .utc(LocalDateTime(year: 2024, month: 1, day: 1, hour: 9)))
        #expect(EventTime(icalValue: "20240101T090000", tzid: nil) == .floating(LocalDateTime(year: 2024, month: 1, day: 1, hour: 9)))
        #expect(EventTime(icalValue: "20240101T090000", tzid: "Asia/Tokyo")?.tzid == "Asia/Tokyo")
        #expect(EventTime(icalValue: "20250229", tzid: nil) == nil)
        #expect(EventTime(icalValue: "20240101T250000", tzid: nil) == nil)
    }

    @Test func zonedInstantUsesOffset() {
        let t = EventTime.zoned(LocalDateTime(year: 2024, month: 7, day: 1, hour: 12), tzid: "Europe/Berlin", utcOffset: 7200)
        #expect(t.instant == EventTime.utc(LocalDateTime(year: 2024, month: 7, day: 1, hour: 10)).instant)
    }
}
