import CalendarModel
import Testing

@Suite struct WallTimeTests {
    // A zone at -05:00 that moves to -04:00 at 2025-03-09T07:00Z and back at 2025-11-02T06:00Z.
    static func newYork2025(_ t: Int) -> Int {
        let spring = LocalDateTime(year: 2025, month: 3, day: 9, hour: 7).secondsSinceEpoch
        let fall = LocalDateTime(year: 2025, month: 11, day: 2, hour: 6).secondsSinceEpoch
        return t >= spring && t < fall ? -14_400 : -18_000
    }

    func offset(_ l: LocalDateTime) -> Int { WallTime.utcOffset(wall: l.secondsSinceEpoch, offsetAtInstant: WallTimeTests.newYork2025) }

    @Test func ordinaryTimes() {
        #expect(offset(LocalDateTime(year: 2025, month: 1, day: 15, hour: 9)) == -18_000)
        #expect(offset(LocalDateTime(year: 2025, month: 7, day: 15, hour: 9)) == -14_400)
    }

    @Test func aTimeThatOccursTwiceIsTheFirstOccurrence() {
        #expect(offset(LocalDateTime(year: 2025, month: 11, day: 2, hour: 1, minute: 30)) == -14_400)
        #expect(offset(LocalDateTime(year: 2025, month: 11, day: 2, hour: 2, minute: 0)) == -18_000)
    }

    @Test func aTimeInTheGapTakesTheOffsetBeforeIt() {
        // 02:30 does not exist on 2025-03-09: it is read as 02:30 EST, i.e. 03:30 EDT.
        #expect(offset(LocalDateTime(year: 2025, month: 3, day: 9, hour: 2, minute: 30)) == -18_000)
        #expect(offset(LocalDateTime(year: 2025, month: 3, day: 9, hour: 3)) == -14_400)
        #expect(offset(LocalDateTime(year: 2025, month: 3, day: 9, hour: 1, minute: 59)) == -18_000)
    }
}

extension WallTimeTests {
    /// A change undone within the day (clocks an hour ahead for one hour): a wall time that
    /// fits neither offset is in the gap the change made and takes the offset before it.
    @Test func aChangeUndoneWithinTheDay() {
        // -05:00, but -04:00 from 2025-07-15T12:00Z to 13:00Z.
        let from = LocalDateTime(year: 2025, month: 7, day: 15, hour: 12).secondsSinceEpoch
        let blip: (Int) -> Int = { t in t >= from && t < from + 3_600 ? -14_400 : -18_000 }
        // 07:30 is 12:30Z at -05:00, where the offset is -04:00, and 11:30Z at -04:00, where
        // it is -05:00: skipped by the change.
        let skipped = LocalDateTime(year: 2025, month: 7, day: 15, hour: 7, minute: 30).secondsSinceEpoch
        #expect(WallTime.utcOffset(wall: skipped, offsetAtInstant: blip) == -18_000)
        let later = LocalDateTime(year: 2025, month: 7, day: 15, hour: 10).secondsSinceEpoch
        #expect(WallTime.utcOffset(wall: later, offsetAtInstant: blip) == -18_000)
    }
}
