import Foundation
import Testing

@Suite struct CLITests {
    let sample = Paths.testdata.appendingPathComponent("sample.ics")

    @Test func stdinToNDJSON() throws {
        let r = try calport(["convert", "--to", "ndjson"], stdin: try Data(contentsOf: sample))
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n")
        #expect(lines.count == 4)
        let summaries = try lines.map { try (jsonObject(Data($0.utf8)) as! NSDictionary)["summary"] as? String }
        #expect(summaries.first == "Weekly sync")
        #expect(r.stderr.isEmpty)
    }

    @Test func formatDetectionAndJSONBackToICS() throws {
        let json = try calport(["convert", sample.path])
        #expect(json.stdoutText.hasPrefix("{"))
        let ndjson = try calport(["convert", sample.path, "--to", "ndjson"])
        // Both JSON forms are detected without --from.
        let a = try calport(["convert", "-", "--to", "ics"], stdin: json.stdout)
        let b = try calport(["convert", "-", "--to", "ics"], stdin: ndjson.stdout)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(a.stdoutText.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(a.stdoutText.components(separatedBy: "BEGIN:VEVENT").count == 5)
        #expect(b.stdoutText.components(separatedBy: "BEGIN:VEVENT").count == 5)
    }

    @Test func outputIsAtomicAndFailuresLeaveTheTargetAlone() throws {
        let dir = try Paths.temporaryDirectory()
        let target = dir.appendingPathComponent("out.json")
        try Data("previous".utf8).write(to: target)
        // --strict with a warning: exit 65 and the previous file is untouched.
        let bad = try calport(["convert", Paths.cases.appendingPathComponent("malformed-component.ics").path, "--strict", "-o", target.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("--strict"))
        #expect(try String(contentsOf: target, encoding: .utf8) == "previous")
        let good = try calport(["convert", sample.path, "-o", target.path])
        #expect(good.status == 0)
        #expect(good.stdout.isEmpty)
        #expect(try String(contentsOf: target, encoding: .utf8).contains("\"Weekly sync\""))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.json"])
    }

    @Test func exitCodes() throws {
        #expect(try calport(["convert", "/nonexistent/file.ics"]).status == 1)
        let garbage = try calport(["convert", "-"], stdin: Data("this is not a calendar\n".utf8))
        #expect(garbage.status == 65)
        #expect(garbage.stderr.contains("not iCalendar"))
        #expect(try calport(["convert", "-"], stdin: Data()).status == 65)
        #expect(try calport(["convert", "--to", "xml", sample.path]).status == 64)
        #expect(try calport(["convert", "--default-tz", "Mars/Base", sample.path]).status == 64)
        #expect(try calport(["frobnicate"]).status == 64)
        let brokenJSON = try calport(["convert", "--from", "json"], stdin: Data("{\"items\": [{\"start\": 5}]}".utf8))
        #expect(brokenJSON.status == 65)
        #expect(brokenJSON.stderr.contains("items[0].start"))
    }

    @Test func floatingTimesNeedAZone() throws {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20250601T090000\r\nDTEND:20250601T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let without = try calport(["convert", "-"], stdin: Data(ics.utf8))
        #expect(without.status == 65)
        #expect(without.stderr.contains("--default-tz"))
        let with = try calport(["convert", "-", "--default-tz", "Asia/Kolkata"], stdin: Data(ics.utf8))
        #expect(with.status == 0)
        #expect(with.stdoutText.contains("2025-06-01T09:00:00+05:30"))
    }

    @Test func ndjsonBadLineIsReportedAndTheRestGoesOn() throws {
        let input = """
            {"iCalUID":"a","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"},"summary":"one"}
            {"iCalUID":"b","start":
            {"iCalUID":"c","start":{"date":"2025-01-03"},"end":{"date":"2025-01-04"},"summary":"three"}

            """
        let r = try calport(["convert", "--from", "ndjson", "--to", "ics"], stdin: Data(input.utf8))
        #expect(r.status == 65)
        #expect(r.stderr.contains("-:2: error"))
        #expect(r.stdoutText.contains("SUMMARY:one") && r.stdoutText.contains("SUMMARY:three"))
    }

    @Test func deterministicOutput() throws {
        let a = try calport(["convert", sample.path, "--to", "ics"])
        let b = try calport(["convert", sample.path, "--to", "ics"])
        #expect(a.stdout == b.stdout)
        #expect(!a.stdout.isEmpty)
    }
}
