import Foundation
import Testing

/// The tests' calendar generator makes what the push and pull tests count on: exactly the
/// requested number of valid VEVENTs, the same bytes for the same seed, and the shapes that
/// make a migration hard.
struct CalendarGeneratorTests {
    @Test func sameSeedSameBytesAndExactlyTheRequestedEvents() throws {
        let a = CalendarGenerator.calendar(events: 1_000, seed: 3)
        #expect(a == CalendarGenerator.calendar(events: 1_000, seed: 3))
        #expect(a != CalendarGenerator.calendar(events: 1_000, seed: 4))
        let text = String(decoding: a, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\nBEGIN:VEVENT\r\n").count - 1 == 1_000)
        for shape in ["RRULE:FREQ=WEEKLY", "RRULE:FREQ=DAILY", "RRULE:FREQ=MONTHLY", "\r\nEXDATE", "\r\nRECURRENCE-ID",
                      "STATUS:CANCELLED", "DTSTART;VALUE=DATE:", "DURATION:PT", "TZID=America/New_York", "BEGIN:VALARM",
                      "ATTENDEE;CUTYPE=ROOM", ";UNTIL=", ";COUNT="] {
            #expect(text.contains(shape), "\(shape)")
        }
        // Folded at 75 octets: no physical line is longer.
        #expect(a.split(separator: 0x0A).allSatisfy { $0.count <= 76 })
    }

    /// calport reads every event, with no diagnostic, and each override finds its series.
    @Test func calportReadsEveryGeneratedEventCleanly() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("gen.ics")
        try CalendarGenerator.calendar(events: 2_000, seed: 11).write(to: file)
        let r = try calport(["convert", file.path, "--to", "ndjson", "--strict"])
        #expect(r.status == 0, "\(r.stderr.prefix(2000))")
        let lines = r.stdout.split(separator: 0x0A)
        #expect(lines.count == 2_000)
        let v = try calport(["verify", file.path, file.path])
        #expect(v.status == 0, "\(v.stderr.prefix(1000))")
    }
}
