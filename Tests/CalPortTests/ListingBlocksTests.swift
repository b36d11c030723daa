@testable import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// A push's listing is kept in zlib blocks: what is read back is what was listed, and it takes
/// less room than the JSON.
@Suite struct ListingBlocksTests {
    @Test func zlibBlocksGiveBackTheEvents() {
        var events: [GoogleEvent] = []
        for i in 0..<3_000 {
            var g = GoogleEvent()
            g.id = "ev\(i)"
            g.iCalUID = "uid-\(i)@example.com"
            g.status = i % 7 == 0 ? "cancelled" : "confirmed"
            g.summary = "Weekly review \(i % 13)"
            g.description = String(repeating: "Agenda item \(i % 5): notes, é€🎉\n", count: 1 + i % 9)
            g.start = EventDateTime(dateTime: "2026-01-\(10 + i % 18)T09:00:00+01:00", timeZone: "Europe/Berlin")
            g.end = EventDateTime(dateTime: "2026-01-\(10 + i % 18)T10:00:00+01:00", timeZone: "Europe/Berlin")
            g.attendees = (0..<(i % 6)).map { k in
                var a = GoogleEvent.Attendee()
                a.email = "person\(k)@example.org"
                a.responseStatus = "needsAction"
                return a
            }
            events.append(g)
        }
        var store = CompactGoogleEvents(sealing: .zlib)
        for g in events { store.append(g) }
        for i in stride(from: 0, to: events.count, by: 1) { #expect(store[i] == events[i], "event \(i) differs") }
        for i in stride(from: events.count - 1, through: 0, by: -31) { #expect(store[i] == events[i], "event \(i) differs out of order") }
        let json = events.reduce(0) { $0 + FastJSON.compact($1).utf8.count }
        #expect(store.byteCount * 2 < json, "\(store.byteCount) bytes held for \(json) bytes of JSON")
    }

    @Test func zlibRoundTripsEmptyAndIncompressibleBlocks() {
        var noise: [UInt8] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<40_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            noise.append(UInt8(truncatingIfNeeded: x))
        }
        for block in [[], noise, Array("a".utf8)] {
            let sealed = BlockSealing.zlib.seal(block)
            #expect(BlockSealing.zlib.unseal(sealed, block.count) == block)
        }
    }
}
