import CalendarModel
@testable import GoogleCalendar
import Testing

/// Google's `dateTime` text is written in one String: it must be the extended form joined with
/// the offset, as it was, for every time and offset, the ones outside four-digit years too.
@Suite struct GoogleTimeTextTests {
    @Test func dateTimeIsTheTimeJoinedWithItsOffset() {
        var g = SystemRandomNumberGenerator()
        let offsets = [0, 1, -1, 59, 60, -60, 3600, -3600, 19_800, -17_762, 50_400, -43_200, 359_999, 360_000, -360_001]
        let years = [0, 1, 999, 1000, 1969, 2025, 9999, 10_000, -1, 12_345]
        for _ in 0..<20_000 {
            let l = LocalDateTime(year: Bool.random(using: &g) ? years.randomElement(using: &g)! : Int.random(in: 1...9999, using: &g),
                                  month: Int.random(in: 0...13, using: &g), day: Int.random(in: 0...32, using: &g),
                                  hour: Int.random(in: 0...24, using: &g), minute: Int.random(in: 0...60, using: &g),
                                  second: Int.random(in: 0...61, using: &g))
            let offset = Bool.random(using: &g) ? offsets.randomElement(using: &g)! : Int.random(in: -400_000...400_000, using: &g)
            #expect(GoogleTime.dateTime(l, offset: offset) == l.extendedFormat + GoogleTime.offsetString(offset), "\(l) \(offset)")
        }
        #expect(GoogleTime.dateTime(LocalDateTime(year: 2025, month: 3, day: 9, hour: 2, minute: 30), offset: -18_000) == "2025-03-09T02:30:00-05:00")
        #expect(GoogleTime.dateTime(LocalDateTime(year: 2025, month: 3, day: 9), offset: 0) == "2025-03-09T00:00:00Z")
    }
}
