import Foundation
import Testing

/// A `calendar#events` file is read item by item; standard input is read whole. Both give
/// the same calendar and the same diagnostics.
@Suite struct JSONStreamingTests {
    static func same(_ json: String, _ what: String) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("in.json")
        try json.write(to: file, atomically: true, encoding: .utf8)
        let streamed = try calport(["convert", file.path, "--to", "ics"])
        let whole = try calport(["convert", "-", "--from", "json", "--to", "ics"], stdin: Data(json.utf8))
        #expect(streamed.status == whole.status, "\(what)")
        #expect(streamed.stdout == whole.stdout, "\(what): output differs")
        // Diagnostics name the input: the file, or - for standard input.
        #expect(streamed.stderr.replacingOccurrences(of: file.path, with: "-") == whole.stderr, "\(what): diagnostics differ")
    }

    @Test func fixturesConvertTheSameStreamedAndWhole() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.cases.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!names.isEmpty)
        for n in names {
            try JSONStreamingTests.same(String(decoding: try Data(contentsOf: Paths.cases.appendingPathComponent(n)), as: UTF8.self), n)
        }
    }

    @Test func cancelledOccurrencesFoldTheSameStreamed() throws {
        var items: [String] = []
        for i in 0..<300 {
            let series = "{\"id\":\"s\(i)\",\"iCalUID\":\"u\(i)@t\",\"summary\":\"Series \(i)\",\"start\":{\"dateTime\":\"2024-03-0\(1 + i % 9)T10:00:00+01:00\",\"timeZone\":\"Europe/Berlin\"},\"end\":{\"dateTime\":\"2024-03-0\(1 + i % 9)T11:00:00+01:00\",\"timeZone\":\"Europe/Berlin\"},\"recurrence\":[\"RRULE:FREQ=DAILY;COUNT=10\"]}"
            let tombstone = "{\"id\":\"s\(i)_x\",\"status\":\"cancelled\",\"recurringEventId\":\"s\(i)\",\"originalStartTime\":{\"dateTime\":\"2024-03-1\(i % 9)T10:00:00+01:00\",\"timeZone\":\"Europe/Berlin\"}}"
            let broken = "{\"id\":\"b\(i)\",\"status\":\"cancelled\",\"recurringEventId\":\"s\(i)\",\"originalStartTime\":{\"dateTime\":\"not a time\"}}"
            // Tombstones before and after their series, one whose time is not valid, and plain events.
            if i % 2 == 0 { items += [tombstone, series] } else { items += [series, tombstone] }
            if i % 50 == 0 { items.append(broken) }
            items.append("{\"iCalUID\":\"p\(i)@t\",\"summary\":\"Plain \\\"\(i)\\\" \\u00e9\",\"start\":{\"date\":\"2024-04-01\"},\"end\":{\"date\":\"2024-04-02\"}}")
        }
        // Envelope fields after the items, and whitespace of every kind.
        let json = "{\n\t\"kind\": \"calendar#events\", \"items\" : [\r\n" + items.joined(separator: " ,\n") + "\n] ,\"summary\":\"Cal, \\\"quoted\\\"\",\"timeZone\":\"Europe/Berlin\" }\n"
        try JSONStreamingTests.same(json, "generated")
    }

    @Test func malformedDocumentsFailTheSameStreamedAndWhole() throws {
        let cases = [
            "{\"kind\":\"calendar#events\",\"items\":[{\"summary\":\"a\"},]}",
            "{\"kind\":\"calendar#events\",\"items\":[{\"summary\":5}]}",
            "{\"kind\":\"calendar#events\",\"items\":[{\"summary\":\"a\"}]",
            "{\"kind\":\"calendar#events\",\"items\":[{\"summary\":\"a\"}]} trailing",
            "{\"kind\":5,\"items\":[]}",
            "{\"items\":[],\"items\":[{\"summary\":\"a\"}]}",
            "{\"it\\u0065ms\":[{\"summary\":\"a\"}]}",
        ]
        // A streamed file finds an item that is not an Event resource only when it gets there:
        // the output file is not written, as when the whole document is read first. Shapes
        // the streaming reader does not take (two `items`, escaped keys) are read whole.
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for c in cases {
            let file = dir.appendingPathComponent("in.json"), out = dir.appendingPathComponent("out.ics")
            try c.write(to: file, atomically: true, encoding: .utf8)
            let streamed = try calport(["convert", file.path, "--to", "ics", "-o", out.path])
            let streamedOutput = try? Data(contentsOf: out)
            try? FileManager.default.removeItem(at: out)
            let whole = try calport(["convert", "-", "--from", "json", "--to", "ics", "-o", out.path], stdin: Data(c.utf8))
            let wholeOutput = try? Data(contentsOf: out)
            try? FileManager.default.removeItem(at: out)
            #expect(streamed.status == whole.status, "\(c)")
            #expect(streamedOutput == wholeOutput, "\(c)")
            #expect(streamed.stderr.replacingOccurrences(of: file.path, with: "-") == whole.stderr, "\(c)")
        }
    }
}
