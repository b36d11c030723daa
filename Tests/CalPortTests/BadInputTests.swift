import CalPort
import Foundation
import Testing

/// Bad input is reported where it is (file, item path or line), the rest of the batch goes on,
/// and the exit code says what happened: 65 for input that could not be read, in whole or in
/// part; for verify, 1 only when both sides were read and differ.
@Suite struct BadInputTests {
    let dir: URL
    init() throws { dir = try Paths.temporaryDirectory() }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static let goodItem = #"{"iCalUID":"ok-1","summary":"ok","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}}"#
    static let secondGoodItem = #"{"iCalUID":"ok-2","summary":"ok too","start":{"date":"2025-02-01"},"end":{"date":"2025-02-02"}}"#
    static let badItems = [
        #"{"iCalUID":"b","summary":12345,"start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}}"#,
        #"{"iCalUID":"c","attendees":"x","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}}"#,
        #"{"foo":1}"#,
        #"{"iCalUID":"d","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"},"attendees":[{"email":7}]}"#,
    ]
    static let expected = ["items[1].summary: expected a string", "items[2].attendees: expected an array",
                           "items[3]: none of its keys (foo) is a field of a Google Event", "items[4].attendees[0].email: expected a string"]

    /// One bad item no longer aborts the file: each is named by its JSON path in JSON's own words,
    /// the good ones are converted, and the exit code is 65. From a file (read item by item) and
    /// from standard input (read whole) alike.
    @Test func badItemsAreReportedAndTheRestConverted() throws {
        let items = [Self.goodItem] + Self.badItems + [Self.secondGoodItem]
        let json = #"{"kind":"calendar#events","items":["# + items.joined(separator: ",\n") + "]}"
        let file = try write("items.json", json)
        for (label, run) in [("file", try calport(["convert", file, "--to", "ndjson"])),
                             ("stdin", try calport(["convert", "-", "--from", "json", "--to", "ndjson"], stdin: Data(json.utf8)))] {
            #expect(run.status == 65, "\(label): \(run.stderr)")
            let lines = run.stdoutText.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].contains("ok-1") && lines[1].contains("ok-2"), "\(label): \(run.stdoutText)")
            for e in Self.expected { #expect(run.stderr.contains(e + "; item skipped"), "\(label): \(e) in \(run.stderr)") }
            for swiftName in ["String", "Array<", "Dictionary<", "Int"] { #expect(!run.stderr.contains(swiftName), "\(label): \(run.stderr)") }
        }
        // A list of events at the top, and NDJSON, line by line.
        let list = try calport(["convert", "-", "--from", "json", "--to", "ndjson"], stdin: Data(("[" + items.joined(separator: ",") + "]").utf8))
        #expect(list.status == 65 && list.stdoutText.split(separator: "\n").count == 2)
        #expect(list.stderr.contains("[1].summary: expected a string"))
        let ndjson = try calport(["convert", "-", "--from", "ndjson", "--to", "ndjson"], stdin: Data(items.joined(separator: "\n").utf8))
        #expect(ndjson.status == 65 && ndjson.stdoutText.split(separator: "\n").count == 2)
        #expect(ndjson.stderr.contains("-:4: error: not a Google Event resource: none of its keys (foo)"), "\(ndjson.stderr)")
    }

    /// JSON that is none of what calport reads is refused, not turned into an empty event.
    @Test func anObjectThatIsNoEventIsRefused() throws {
        for json in [#"{"foo":1}"#, #"{}"#, #"{"foo":{"bar":[1,2]},"baz":true}"#] {
            let file = try write("not-event.json", json)
            let r = try calport(["convert", file, "--from", "json", "--to", "ics"])
            #expect(r.status == 65, "\(json): \(r.stderr)")
            #expect(!r.stdoutText.contains("BEGIN:VEVENT"), "\(json)")
            #expect(r.stderr.contains("expected an Event, a list of events, a calendar#events page"), "\(r.stderr)")
        }
    }

    @Test func malformedJSONSaysLineAndColumn() throws {
        let r = try calport(["convert", "-", "--from", "json"], stdin: Data("{\"items\": [\n  {\"summary\": \"a\"},\n  {\"summary\" \"b\"}\n]}".utf8))
        #expect(r.status == 65)
        #expect(r.stderr.contains("line 3, column"), "\(r.stderr)")
    }

    /// verify exits 65 when a side cannot be read, in whole or in part, and prints no bare
    /// "equivalent" for what it could not read; 1 only for two readable calendars that differ.
    @Test func verifyExitCodesSayWhatHappened() throws {
        let garbage = try write("garbage.ics", "this is not a calendar\n")
        let empty = try write("empty.ics", "")
        let badJSON = try write("bad.json", "{\"items\": [")
        let badLine = try write("bad.ndjson", Self.goodItem + "\n{bad\n")
        let partial = try write("partial.json", #"{"kind":"calendar#events","items":["# + Self.goodItem + "," + Self.badItems[0] + "]}")
        let good = try write("good.json", #"{"kind":"calendar#events","items":["# + Self.goodItem + "]}")
        let other = try write("other.json", #"{"kind":"calendar#events","items":["# + Self.secondGoodItem + "]}")
        for (a, b) in [(garbage, garbage), (empty, empty), (badJSON, good), (good, badJSON), (badLine, good), (partial, good)] {
            let r = try calport(["verify", a, b])
            #expect(r.status == 65, "\(a) \(b): \(r.status) \(r.stdoutText) \(r.stderr)")
            #expect(!r.stdoutText.hasPrefix("equivalent"), "\(r.stdoutText)")
        }
        #expect(try calport(["verify", good, other]).status == 1)
        #expect(try calport(["verify", good, good]).status == 0)
    }

    /// Bytes that are not UTF-8 are read as U+FFFD, and the line is named.
    @Test func invalidUTF8IsSaid() throws {
        let file = dir.appendingPathComponent("latin1.ics")
        var bytes = Array("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250101T100000Z\r\nSUMMARY:Gr".utf8)
        bytes += [0xFC, 0xDF, 0x65]  // "Grüße" in Latin-1
        bytes += Array("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".utf8)
        try Data(bytes).write(to: file)
        let r = try calport(["convert", file.path, "--to", "ndjson"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("latin1.ics:5: warning: the line is not valid UTF-8"), "\(r.stderr)")
    }

    /// JSON saved as UTF-16 is read by push as by convert (the content decides the format).
    @Test func utf16JSONIsReadByEveryCommand() throws {
        let json = #"{"kind":"calendar#events","items":["# + Self.goodItem + "]}"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for u in json.utf16 { bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        let file = dir.appendingPathComponent("utf16.json")
        try Data(bytes).write(to: file)
        let h = try PushHarness()
        let push = try h.push(file.path, ["--dry-run"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("1 create"), "\(push.stderr)")
        #expect(try calport(["convert", file.path, "--to", "ndjson"]).stdoutText.contains("ok-1"))
    }

    /// A diagnostic stays one line of bounded length, with control characters visible: a 5 MB
    /// value quoted whole would fill the terminal, and an escape sequence would rewrite it.
    @Test func diagnosticsAreOneBoundedLine() {
        let long = TerminalText.oneLine("value " + String(repeating: "x", count: 5 << 20))
        #expect(long.count < TerminalText.maximumLength + 40 && long.hasSuffix("more characters)"))
        #expect(TerminalText.oneLine("a\r\nb\u{1B}[2Jc\u{9B}d\te") == "a\\r\\nb\\u{1B}[2Jc\\u{9B}d\te")
        #expect(TerminalText.escaped("line one\nline two\u{7}\n", keepNewlines: true) == "line one\nline two\\u{7}\n")
    }
}
