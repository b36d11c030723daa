import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

private let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus/google-json")

/// calport's JSON writer produces exactly JSONEncoder's bytes (sorted keys, unescaped slashes).
@Suite struct FastJSONTests {
    static func encoderOutput(_ g: GoogleEvent, pretty: Bool) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(g), as: UTF8.self)
    }

    static func check(_ g: GoogleEvent, _ what: String) throws {
        #expect(FastJSON.compact(g) == (try encoderOutput(g, pretty: false)), "\(what) (compact)")
        let mine = FastJSON.pretty(g), theirs = try encoderOutput(g, pretty: true)
        if mine != theirs {
            let a = mine.split(separator: "\n", omittingEmptySubsequences: false), b = theirs.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("\(what) (pretty) line \(i): [\(i < a.count ? a[i] : "")] vs JSONEncoder [\(i < b.count ? b[i] : "")]")
        }
    }

    @Test func randomEventsFromTheMapping() throws {
        var gen = PropertyTests.Generator(state: 0xFA57)
        let mapper = GoogleEventMapper()
        for i in 0..<300 {
            try Self.check(mapper.googleEvent(from: PropertyTests.randomEvent(&gen, index: i)) { _ in }, "random event \(i)")
        }
    }

    @Test func escapes() throws {
        var g = GoogleEvent()
        g.summary = "quote \" backslash \\ slash / tab \t cr \r nl \n bell \u{07} nul-free \u{1F} é 🎉"
        g.description = ""
        g.conferenceData = .object(["n": .number(1.5), "i": .number(3), "list": .array([.null, .bool(false), .object([:])]), "empty": .array([])])
        try Self.check(g, "escapes")
    }

    /// Strings are scanned eight bytes at a time: each byte that must be escaped (and
    /// multi-byte characters beside it) at every offset of strings around that width, alone
    /// and in pairs, as JSONEncoder writes them.
    @Test func escapesAtEveryOffsetOfTheWordScan() throws {
        let specials: [String] = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "🎉"]
        for length in 0...25 {
            for at in 0...length {
                for (k, special) in specials.enumerated() {
                    let plain = String(repeating: "a", count: length)
                    var text = plain
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: at))
                    // A second special further on, so a word holds two or a run follows one.
                    let second = specials[(k + 3) % specials.count]
                    var g = GoogleEvent()
                    g.summary = text
                    g.description = text + String(repeating: "b", count: at % 9) + second + plain
                    try Self.check(g, "\(special.unicodeScalars.map { $0.value }) at \(at) of \(length)")
                }
            }
        }
    }

    /// The writer's buffer starts at a few kB and grows: an event many times that size (a long
    /// description, hundreds of attendees, a large private map whose keys are ASCII but for a
    /// few, which sort as Strings do) comes out as JSONEncoder writes it, and `into:` appends
    /// after the bytes already there.
    @Test func eventsFarLargerThanTheFirstBuffer() throws {
        var g = GoogleEvent()
        g.description = String(repeating: "Line with \"quotes\" and é, then a newline.\n", count: 3000)
        g.attendees = (0..<400).map { i in
            var a = GoogleEvent.Attendee()
            a.email = "person\(i)@example.com"
            a.displayName = i % 3 == 0 ? "Name \(i) 名前" : "Name \(i)"
            a.responseStatus = "needsAction"
            return a
        }
        var x = GoogleEvent.ExtendedProperties()
        var map: [String: String] = [:]
        for i in 0..<300 { map["X-KEY-\(i)"] = String(repeating: "v", count: i) }
        map["X-KEY-ÉTÉ"] = "non-ASCII key"
        map["Zeta"] = "upper"
        map["alpha"] = "lower"
        map["X-LONGER-KEY-Ω-9"] = "non-ASCII past the first eight bytes"
        x.private = map
        g.extendedProperties = x
        try Self.check(g, "large event")

        var out = Array("prefix ".utf8)
        FastJSON.compact(g, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix " + FastJSON.compact(g))
        out = Array("prefix ".utf8)
        FastJSON.pretty(g, depth: 2, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix " + FastJSON.pretty(g, depth: 2))
    }

    /// Empty objects and arrays at every depth: JSONEncoder's pretty layout has a blank line
    /// inside them.
    @Test func emptyContainers() throws {
        var g = GoogleEvent()
        g.recurrence = []
        g.attendees = [GoogleEvent.Attendee(), GoogleEvent.Attendee()]
        g.creator = GoogleEvent.Person()
        var x = GoogleEvent.ExtendedProperties()
        x.private = [:]
        x.shared = ["b": "2", "a": "1"]
        g.extendedProperties = x
        var r = GoogleEvent.Reminders()
        r.overrides = []
        g.reminders = r
        g.attachments = []
        g.start = EventDateTime()
        try Self.check(g, "empty containers")
        try Self.check(GoogleEvent(), "empty event")
        #expect(FastJSON.pretty(GoogleEvent(), depth: 2) == "{\n\n    }")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus.path), "../shared/corpus/google-json is not present"))
    func realGoogleEvents() throws {
        var count = 0
        for f in FileManager.default.enumerator(atPath: corpus.path)!.compactMap({ $0 as? String }) where f.hasSuffix(".json") {
            let data = try Data(contentsOf: corpus.appendingPathComponent(f))
            var events: [GoogleEvent] = []
            if let list = try? JSONDecoder().decode(GoogleEvents.self, from: data), let items = list.items { events = items }
            else if let array = try? JSONDecoder().decode([GoogleEvent].self, from: data) { events = array }
            else if let one = try? JSONDecoder().decode(GoogleEvent.self, from: data) { events = [one] }
            for (i, e) in events.enumerated() {
                try Self.check(e, "\(f) item \(i)")
                count += 1
            }
        }
        #expect(count > 20)
    }
}
