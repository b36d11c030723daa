import CalendarModel
import Testing

/// The one RFC 3339 reader: what Google's API writes and what calport's options take.
@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2025-03-30T01:30:00Z", 1_743_298_200),
        ("2025-03-30T03:30:00+02:00", 1_743_298_200),
        ("2025-03-29T20:30:00-05:00", 1_743_298_200),
        ("2025-03-30t01:30:00z", 1_743_298_200),
        ("2025-03-30T01:30:00.999Z", 1_743_298_200),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T12:00:00+05:30", 1_709_188_200),
    ])
    func instants(text: String, seconds: Int) {
        #expect(RFC3339.instant(text) == seconds, "\(text)")
    }

    @Test(arguments: [
        "2025-03-30T01:30:00", "2025-02-30T00:00:00Z", "2025-03-30 01:30:00Z", "2025-03-30T1:30:00Z",
        "2025-03-30T01:30:00+0200", "2025-03-30T01:30:00+24:00", "2025-03-30T01:30:00.Z", "2025-03-30T01:30:00Zx", "",
    ])
    func notInstants(text: String) {
        #expect(RFC3339.instant(text) == nil, "\(text)")
    }

    @Test func floatingDateTimesHaveNoOffset() throws {
        let (local, offset) = try #require(RFC3339.dateTime("2025-12-31T23:59:59"))
        #expect(offset == nil)
        #expect(local == LocalDateTime(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func dates() {
        #expect(RFC3339.date("2024-02-29") == LocalDate(year: 2024, month: 2, day: 29))
        for bad in ["2025-02-29", "2025-2-01", "20250201", "2025-02-01T00:00:00Z", "2025-13-01", "abcd-ef-gh"] {
            #expect(RFC3339.date(bad) == nil, "\(bad)")
        }
    }
}
