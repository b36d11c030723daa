@testable import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// A push holds its input events as `EventCoding` bytes in zlib blocks and repairs only the
/// series that have overrides; what it pushes, in what order, with what lines and messages,
/// must be what the repairs on the whole input gave.
struct PushInputStoreTests {
    /// One VEVENT's lines.
    static func vevent(_ uid: String, _ lines: [String]) -> [String] {
        ["BEGIN:VEVENT", "UID:\(uid)", "DTSTAMP:20250101T000000Z"] + lines + ["END:VEVENT"]
    }

    /// The repairs interleaved with events they leave alone: a split series (a RANGE=THISANDFUTURE
    /// override, and a later override that moves to the new series), overrides without their
    /// series (made one, before the earliest), a cancelled series with a cancelled occurrence
    /// (folded into an EXDATE), and singles between them.
    @Test func repairedSeriesKeepTheirPlacesInTheInput() throws {
        let events: [(name: String, lines: [String])] = [
            ("s1", Self.vevent("s1", ["DTSTART:20250301T090000Z", "DTEND:20250301T100000Z", "SUMMARY:First single"])),
            ("orph-late", Self.vevent("orph", ["RECURRENCE-ID:20250305T090000Z", "DTSTART:20250305T090000Z", "DTEND:20250305T100000Z", "SUMMARY:Invited once"])),
            ("split", Self.vevent("split", ["DTSTART:20250310T090000Z", "DTEND:20250310T100000Z", "RRULE:FREQ=DAILY;COUNT=10", "SUMMARY:Daily"])),
            ("s2", Self.vevent("s2", ["DTSTART:20250302T090000Z", "DTEND:20250302T100000Z", "SUMMARY:Second single"])),
            ("split-range", Self.vevent("split", ["RECURRENCE-ID;RANGE=THISANDFUTURE:20250314T090000Z", "DTSTART:20250314T110000Z",
                                                  "DTEND:20250314T120000Z", "SUMMARY:Daily, later"])),
            ("split-one", Self.vevent("split", ["RECURRENCE-ID:20250316T090000Z", "DTSTART:20250316T150000Z", "DTEND:20250316T160000Z",
                                                "SUMMARY:Daily, moved"])),
            ("orph-early", Self.vevent("orph", ["RECURRENCE-ID:20250304T090000Z", "DTSTART:20250304T090000Z", "DTEND:20250304T100000Z", "SUMMARY:Invited once"])),
            ("gone", Self.vevent("gone", ["DTSTART:20250106T090000Z", "DTEND:20250106T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "STATUS:CANCELLED",
                                          "SUMMARY:Old series"])),
            ("gone-one", Self.vevent("gone", ["RECURRENCE-ID:20250107T090000Z", "DTSTART:20250107T090000Z", "DTEND:20250107T100000Z", "STATUS:CANCELLED",
                                              "SUMMARY:Old series"])),
            ("s3", Self.vevent("s3", ["DTSTART:20250303T090000Z", "DTEND:20250303T100000Z", "SUMMARY:Third single"])),
        ]
        var text = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//push order//EN"]
        var line: [String: Int] = [:]
        for e in events {
            line[e.name] = text.count + 1
            text += e.lines
        }
        text.append("END:VCALENDAR")
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("order.ics")
        try Data((text.joined(separator: "\r\n") + "\r\n").utf8).write(to: file)
        let sink = DiagnosticCollector()
        let input = try PushInput.load(path: file.path, mapping: MappingOptions(), diagnostics: sink)

        let newSeries = "split-20250314T090000Z"
        #expect(input.items.map(\.key.uid) == ["s1", "orph", "split", "s2", newSeries, "orph", "orph", "gone", "s3", newSeries])
        #expect(input.items.map(\.key.instance) == [nil, "20250305T090000Z", nil, nil, "20250316T110000Z", nil, "20250304T090000Z", nil, nil, nil])
        #expect(input.items.map(\.index) == Array(0..<10))
        // After a split every event has the first line of its UID (the split's new UID has none),
        // as convert reports them; the made series has its first override's.
        #expect(input.items.map(\.line) == [line["s1"], line["orph-late"], line["split"], line["s2"], nil, line["orph-late"], line["orph-late"],
                                            line["gone"], line["s3"], nil])
        // The split series ends before the range override; the cancelled occurrence is an EXDATE.
        #expect(input.items[2].google.recurrence == ["RRULE:FREQ=DAILY;UNTIL=20250314T085959Z"])
        #expect(input.items[9].google.start?.dateTime == "2025-03-14T11:00:00Z")
        #expect(input.items[7].google.recurrence?.contains { $0.hasPrefix("EXDATE") && $0.contains("20250107T090000Z") } == true)
        #expect(input.items[5].event.recurrenceDates.map(\.start.icalValue) == ["20250304T090000Z", "20250305T090000Z"])
        #expect(input.items[1].event.summary == "Invited once" && input.items[3].event.summary == "Second single")
        #expect(input.rejects.isEmpty)
        let notes = sink.diagnostics.filter { $0.message.contains("split") || $0.message.contains("series of their own") }
        #expect(notes.map(\.uid) == ["split", "orph"])
        #expect(notes.map(\.line) == [nil, line["orph-late"]])
    }

    /// Every event read from the corpus (.ics, and Google's JSON) comes back from the store as
    /// it went in: equal, and encoded again to the same bytes (which `==` alone would not show:
    /// enumerated values compare without case).
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func corpusEventsComeBackWhole() {
        var files: [URL] = []
        for (folder, suffix) in [("ics", ".ics"), ("google-json", ".json")] {
            let dir = Paths.corpus.appendingPathComponent(folder)
            files += (FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.lowercased().hasSuffix(suffix) }.sorted().map { dir.appendingPathComponent($0) }
        }
        var checked = 0, fromJSON = 0
        for f in files {
            guard let cal = try? CalendarLoader.load(path: f.path, mapping: MappingOptions(), diagnostics: DiagnosticCollector()) else { continue }
            var store = SealedRecords(sealing: .zlib, blockSize: 4_096)
            let records = cal.document.events.map { store.append(event: $0) }
            for (e, r) in zip(cal.document.events, records) {
                let back = store.event(Int(r))
                var a: [UInt8] = [], b: [UInt8] = []
                EventCoding.encode(e, into: &a)
                EventCoding.encode(back, into: &b)
                #expect(back == e && a == b, "\(f.lastPathComponent): \(e.uid ?? "(no UID)")")
                checked += 1
                if cal.format == .json { fromJSON += 1 }
            }
        }
        print("corpus: \(files.count) files, \(checked) events stored and read back (\(fromJSON) from Google JSON)")
        #expect(checked > 5_000 && fromJSON > 20)
    }
}
