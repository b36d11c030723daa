import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

/// `ZoneOffsets` stands in for `TimeZone.secondsFromGMT(for:)`: in every zone Foundation knows,
/// at every change of offset and between them, it must give what Foundation gives.
@Suite struct ZoneOffsetsTests {
    static func foundation(_ tz: TimeZone, _ t: Int) -> Int { tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))) }

    @Test func everyZoneAgreesWithFoundationAroundEachChangeAndBetween() throws {
        // A failure names the zone and the instant, which is all it takes to repeat it.
        var instants = SystemRandomNumberGenerator()
        var compared = 0
        for id in TimeZone.knownTimeZoneIdentifiers {
            let tz = try #require(TimeZone(identifier: id))
            let table = ZoneOffsets(tz)
            var at: [Int] = (0..<1000).map { _ in Int.random(in: ZoneOffsets.tableStart..<ZoneOffsets.tableEnd, using: &instants) }
            // Random instants find a change Foundation would not name; then each change it
            // names, and the seconds either side of it.
            var after = Date(timeIntervalSince1970: Double(ZoneOffsets.tableStart))
            while let next = tz.nextDaylightSavingTimeTransition(after: after), next.timeIntervalSince1970 < Double(ZoneOffsets.tableEnd) {
                let s = Int(next.timeIntervalSince1970.rounded(.down))
                at += [s - 1, s, s + 1, s + 2]
                after = next
            }
            for t in at {
                let want = Self.foundation(tz, t)
                let got = table.offset(atInstant: t)
                #expect(got == want, "\(id) at \(t): \(got), Foundation \(want)")
                if got != want { break }
            }
            compared += at.count
        }
        #expect(compared > 100_000)
    }

    @Test func outsideTheTableFoundationIsAsked() throws {
        // Before 1883 New York kept local mean time (-4:56:02), after 2100 it keeps its rules.
        let tz = try #require(TimeZone(identifier: "America/New_York"))
        let table = ZoneOffsets(tz)
        for t in [-3_786_825_600, ZoneOffsets.tableStart - 86_400 * 400, ZoneOffsets.tableStart - 1, ZoneOffsets.tableEnd,
                  ZoneOffsets.tableEnd + 86_400 * 180, ZoneOffsets.tableEnd + 86_400 * 365 * 50] {
            #expect(table.offset(atInstant: t) == Self.foundation(tz, t), "\(t)")
        }
        #expect(table.offset(atInstant: -3_786_825_600) == -17_762)  // 1850
    }

    @Test func wallTimesAtChangesTakeTheRFCsOffset() throws {
        // Through `GoogleTime.offset`, which uses the table: 01:30 on the day clocks go back
        // is the first 01:30 (daylight time); 02:30 on the day they go forward does not exist
        // and takes the offset before the change.
        let tz = try #require(TimeZone(identifier: "America/New_York"))
        #expect(GoogleTime.offset(tz, at: LocalDateTime(year: 2025, month: 11, day: 2, hour: 1, minute: 30)) == -14_400)
        #expect(GoogleTime.offset(tz, at: LocalDateTime(year: 2025, month: 3, day: 9, hour: 2, minute: 30)) == -18_000)
        #expect(GoogleTime.offset(tz, at: LocalDateTime(year: 2025, month: 7, day: 1, hour: 12)) == -14_400)
        // Samoa skipped 2011-12-30 and moved from -10:00 to +14:00.
        let apia = try #require(TimeZone(identifier: "Pacific/Apia"))
        #expect(GoogleTime.offset(apia, at: LocalDateTime(year: 2011, month: 12, day: 29, hour: 12)) == -36_000)
        #expect(GoogleTime.offset(apia, at: LocalDateTime(year: 2011, month: 12, day: 31, hour: 12)) == 50_400)
    }
}

extension ZoneOffsetsTests {
    @Test func aZoneHasItsTableOnlyAfterManyUsesAndTheSameOffsetsEitherWay() throws {
        // A zone no other test uses, so that its uses are this test's.
        let tz = try #require(TimeZone(identifier: "America/Kentucky/Monticello"))
        var instants = SystemRandomNumberGenerator()
        func check() {
            let t = Int.random(in: ZoneOffsets.tableStart..<ZoneOffsets.tableEnd, using: &instants)
            #expect(GoogleTime.offset(tz, atInstant: t) == Self.foundation(tz, t), "\(t)")
        }
        for _ in 0..<(ZoneOffsets.askedBeforeTable - 1) { check() }
        #expect(ZoneOffsets.of(tz) == nil, "Foundation answers the first uses")
        #expect(ZoneOffsets.of(tz) != nil, "the next has the table")
        for _ in 0..<200 { check() }
    }
}
