import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

/// Events kept as JSON come back as they went in: every field, in every block.
@Suite struct CompactGoogleEventsTests {
    @Test func generatedEventsComeBackWhole() {
        var gen = PropertyTests.Generator(state: 0xC0FFEE)
        let mapper = GoogleEventMapper()
        var events: [GoogleEvent] = []
        for i in 0..<2_000 { events.append(mapper.googleEvent(from: PropertyTests.randomEvent(&gen, index: i)) { _ in }) }
        // A free-form value with numbers the fast reader leaves to JSONDecoder, and an event
        // larger than what a block keeps free (it grows its block rather than spanning two).
        var odd = GoogleEvent()
        odd.summary = "free-form"
        odd.conferenceData = .object(["n": .number(1.5), "list": .array([.number(2), .null, .bool(true)])])
        events.insert(odd, at: 7)
        var big = GoogleEvent()
        big.description = String(repeating: "long line é€🎉\n", count: CompactGoogleEvents.blockReserve / 4)
        events.insert(big, at: 1_000)
        var store = CompactGoogleEvents()
        for g in events { store.append(g) }
        #expect(store.count == events.count)
        #expect(store.byteCount == events.reduce(0) { $0 + FastJSON.compact($1).utf8.count })
        for (i, g) in events.enumerated() { #expect(store[i] == g, "event \(i) differs") }
        // Read out of order too.
        for i in stride(from: events.count - 1, through: 0, by: -97) { #expect(store[i] == events[i]) }
    }

    @Test(.enabled(if: FastJSONReaderTests.corpusIsPresent, "../shared/corpus/google-json is not present"))
    func realGoogleEventsComeBackWhole() throws {
        let events = try FastJSONReaderTests.realEvents().map { try JSONDecoder().decode(GoogleEvent.self, from: $0.json) }
        #expect(events.count > 20)
        var store = CompactGoogleEvents()
        // Enough copies to fill several blocks.
        let copies = max(1, 3 * CompactGoogleEvents.blockCapacity / max(1, events.reduce(0) { $0 + FastJSON.compact($1).utf8.count }))
        for _ in 0..<copies { for g in events { store.append(g) } }
        #expect(store.count == events.count * copies)
        for i in 0..<store.count { #expect(store[i] == events[i % events.count], "event \(i % events.count) (copy \(i / events.count)) differs") }
    }
}
