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

    /// Durations are read on their bytes when they are ASCII: the same values as the reading
    /// by upper-cased Characters (restated here), for every short string over the letters,
    /// digits and signs a duration uses, and for text that upper-cases to ASCII.
    @Test func durationBytesAgreeWithCharacters() {
        func byCharacters(_ raw: String) -> ICalDuration? {
            var s = Substring(raw.uppercased())
            var neg = false
            if s.first == "+" { s = s.dropFirst() } else if s.first == "-" { neg = true; s = s.dropFirst() }
            guard s.first == "P" else { return nil }
            s = s.dropFirst()
            var f = [Character: Int](), inTime = false, num = "", any = false
            for c in s {
                if c.isASCII && c.isNumber { num.append(c); continue }
                if c == "T" { guard num.isEmpty, !inTime else { return nil }; inTime = true; continue }
                guard let n = Int(num), (("WD".contains(c) && !inTime) || ("HMS".contains(c) && inTime)) else { return nil }
                num = ""
                any = true
                f[c] = n
            }
            guard num.isEmpty, any else { return nil }
            return ICalDuration(isNegative: neg, weeks: f["W"] ?? 0, days: f["D"] ?? 0, hours: f["H"] ?? 0, minutes: f["M"] ?? 0, seconds: f["S"] ?? 0)
        }
        let alphabet: [String] = ["P", "p", "T", "t", "W", "D", "d", "H", "M", "S", "s", "+", "-", "0", "1", "9", " ", "\r\n", "X"]
        var state: UInt64 = 0x5EED
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var text = "", r = state
            for _ in 0..<Int(r % 9) {
                r /= 9
                text += alphabet[Int(r % UInt64(alphabet.count))]
                r /= UInt64(alphabet.count)
            }
            #expect(ICalDuration(icalString: text) == byCharacters(text), "\(text.unicodeScalars.map { $0.value })")
        }
        for text in ["PT5ſ", "ｐT1H", "PT1H\u{301}", "P1DT", "PT99999999999999999999S", "PT9223372036854775807S", "-pt15m", "P1D2D", "PT1S1H"] {
            #expect(ICalDuration(icalString: text) == byCharacters(text), "\(text)")
        }
        #expect(ICalDuration(icalString: "PT5ſ")?.seconds == 5)
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
