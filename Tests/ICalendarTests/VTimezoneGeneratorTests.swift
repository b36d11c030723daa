import CalendarModel
@testable import ICalendar
import Testing

/// The VTIMEZONEs calport writes, read back by libical, give the tz database's offsets.
@Suite struct VTimezoneGeneratorTests {
    static let zones = [
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Sao_Paulo", "Asia/Jerusalem", "Asia/Tehran",
        "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham", "Europe/Dublin", "Africa/Casablanca",
        "America/Santiago", "Pacific/Apia", "Asia/Gaza", "UTC",
    ]

    @Test(arguments: zones)
    func libicalReadsTheTzDatabaseOffsetsBack(name: String) throws {
        let tzif = try #require(Libical.lock.withLock { ZoneMatcher.loadTzif(named: name) }, "no TZif for \(name)")
        let lines = VTimezoneGenerator.lines(tzid: name, zone: tzif)
        let text = "BEGIN:VCALENDAR\r\n" + lines.joined(separator: "\r\n") + "\r\nEND:VCALENDAR\r\n"
        let component = try #require(LibicalComponent(parsing: lines.joined(separator: "\r\n") + "\r\n"))
        #expect(component.errors.isEmpty, "\(component.errors)")
        let zone = try #require(LibicalZone(vtimezone: component))
        var mismatches: [String] = []
        // Every six hours from 1970 to 2060, compared as UTC instants.
        var t = LocalDateTime(year: 1970, month: 1, day: 1).secondsSinceEpoch
        let end = LocalDateTime(year: 2060, month: 1, day: 1).secondsSinceEpoch
        while t < end {
            let expected = Int(tzif.offset(at: t)), got = zone.utcOffset(atInstant: t)
            if got != expected { mismatches.append("\(LocalDateTime(secondsSinceEpoch: t).extendedFormat)Z: tz \(expected), libical \(got)") }
            t += 6 * 3600
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches, first: \(mismatches.prefix(5)) (\(text.utf8.count) bytes)")
    }
}
