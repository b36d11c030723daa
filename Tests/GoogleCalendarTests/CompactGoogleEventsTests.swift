import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

/// Events kept as JSON come back as they went in: every field, from the open block and from
/// sealed ones, in any order.
@Suite struct CompactGoogleEventsTests {
    /// A sealing that changes every byte (so that a block read without unsealing cannot pass)
    /// and counts the blocks it unseals.
    final class Counting: @unchecked Sendable {
        let lock = Lock()
        var unsealed = 0
        var sealing: BlockSealing {
            BlockSealing(seal: { $0.reversed().map { $0 ^ 0x5A } }, unseal: { block, length in
                self.lock.withLock { self.unsealed += 1 }
                #expect(block.count == length)
                return block.reversed().map { $0 ^ 0x5A }
            })
        }
    }

    static func generated() -> [GoogleEvent] {
        var gen = PropertyTests.Generator(state: 0xC0FFEE)
        let mapper = GoogleEventMapper()
        var events: [GoogleEvent] = []
        for i in 0..<2_000 { events.append(mapper.googleEvent(from: PropertyTests.randomEvent(&gen, index: i)) { _ in }) }
        // A free-form value with numbers the fast reader leaves to JSONDecoder, and an event
        // larger than a block (it ends its block; events are never split).
        var odd = GoogleEvent()
        odd.summary = "free-form"
        odd.conferenceData = .object(["n": .number(1.5), "list": .array([.number(2), .null, .bool(true)])])
        events.insert(odd, at: 7)
        var big = GoogleEvent()
        big.description = String(repeating: "long line é€🎉\n", count: 4_000)
        events.insert(big, at: 1_000)
        return events
    }

    @Test func generatedEventsComeBackWhole() {
        let events = Self.generated()
        let counting = Counting()
        for sealing in [BlockSealing.none, counting.sealing] {
            var store = CompactGoogleEvents(sealing: sealing, blockSize: 8_192)
            for g in events { store.append(g) }
            #expect(store.count == events.count)
            for (i, g) in events.enumerated() { #expect(store[i] == g, "event \(i) differs") }
            // Out of order too, across blocks.
            for i in stride(from: events.count - 1, through: 0, by: -97) { #expect(store[i] == events[i]) }
        }
        #expect(counting.unsealed > 0)
    }

    /// Read in the order they were added, each sealed block is unsealed once; and sealing
    /// keeps the JSON, not more.
    @Test func readingInOrderUnsealsEachBlockOnce() {
        let events = Self.generated()
        let counting = Counting()
        var store = CompactGoogleEvents(sealing: counting.sealing, blockSize: 8_192)
        for g in events { store.append(g) }
        let json = events.reduce(0) { $0 + FastJSON.compact($1).utf8.count }
        #expect(store.byteCount == json)
        for i in 0..<store.count { _ = store[i] }
        let blocks = counting.unsealed
        #expect(blocks > 10 && blocks <= json / 8_192 + 1)
    }

    /// Copies are values: two copies that go on filling blocks of their own each read back
    /// their own events, though they began as one (and shared what one had unsealed).
    @Test func copiesKeepTheirOwnBlocks() {
        let events = Self.generated()
        var a = CompactGoogleEvents(sealing: Counting().sealing, blockSize: 2_048)
        for g in events[0..<100] { a.append(g) }
        _ = a[0]
        var b = a
        for g in events[100..<400] { a.append(g) }
        for g in events[1_100..<1_400] { b.append(g) }
        for i in 100..<400 {
            #expect(b[i] == events[i + 1_000], "copy b, event \(i)")
            #expect(a[i] == events[i], "copy a, event \(i)")
        }
    }

    @Test(.enabled(if: FastJSONReaderTests.corpusIsPresent, "../shared/corpus/google-json is not present"))
    func realGoogleEventsComeBackWhole() throws {
        let events = try FastJSONReaderTests.realEvents().map { try JSONDecoder().decode(GoogleEvent.self, from: $0.json) }
        #expect(events.count > 20)
        var store = CompactGoogleEvents(blockSize: 4_096)
        for _ in 0..<3 { for g in events { store.append(g) } }
        #expect(store.count == events.count * 3)
        for i in 0..<store.count { #expect(store[i] == events[i % events.count], "event \(i % events.count) (copy \(i / events.count)) differs") }
    }
}
