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

@Suite struct SeriesTests {
    @Test func thisAndFutureSplitsTheSeries() throws {
        let ics = [
            "BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:tf1", "DTSTART;TZID=Europe/Paris:20250106T100000",
            "DTEND;TZID=Europe/Paris:20250106T110000", "RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Planning", "END:VEVENT",
            "BEGIN:VEVENT", "UID:tf1", "RECURRENCE-ID;TZID=Europe/Paris;RANGE=THISANDFUTURE:20250203T100000",
            "DTSTART;TZID=Europe/Paris:20250203T140000", "DTEND;TZID=Europe/Paris:20250203T150000",
            "SUMMARY:Planning (afternoons)", "END:VEVENT", "END:VCALENDAR", "",
        ].joined(separator: "\r\n")
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("tf.ics")
        try Data(ics.utf8).write(to: file)
        let r = try calport(["convert", file.path, "--to", "ndjson"])
        #expect(r.status == 0, "\(r.stderr)")
        let events = try r.stdoutText.split(separator: "\n").map { try jsonObject(Data($0.utf8)) as! NSDictionary }
        #expect(events.count == 2)
        #expect(events[0]["recurrence"] as? [String] == ["RRULE:FREQ=WEEKLY;UNTIL=20250203T085959Z"])
        #expect(events[1]["iCalUID"] as? String == "tf1-20250203T100000")
        #expect(events[1]["recurrence"] as? [String] == ["RRULE:FREQ=WEEKLY;COUNT=6"])
        #expect((events[1]["start"] as? NSDictionary)?["dateTime"] as? String == "2025-02-03T14:00:00+01:00")
        #expect(r.stderr.contains("the series is split"))
        // Still the same ten occurrences.
        let json = dir.appendingPathComponent("tf.json")
        _ = try calport(["convert", file.path, "-o", json.path])
        let v = try calport(["verify", file.path, json.path])
        #expect(v.status == 0 && v.stdoutText.contains("equivalent: 10 occurrences"), "\(v.stdoutText)")
    }

    @Test func verifyReportsDifferencesAndExitsOne() throws {
        let sample = Paths.testdata.appendingPathComponent("sample.ics")
        let changed = try String(contentsOf: sample, encoding: .utf8)
            .replacingOccurrences(of: "SUMMARY:Team offsite – Lisbon", with: "SUMMARY:Team offsite – Porto")
            .replacingOccurrences(of: "EXDATE;TZID=Europe/Berlin:20260406T093000", with: "EXDATE;TZID=Europe/Berlin:20260413T093000")
        let dir = try Paths.temporaryDirectory()
        let other = dir.appendingPathComponent("other.ics")
        try Data(changed.utf8).write(to: other)
        let r = try calport(["verify", sample.path, other.path])
        #expect(r.status == 1)
        #expect(r.stdoutText.contains("summary: Team offsite – Lisbon -> Team offsite – Porto"))
        #expect(r.stdoutText.contains("extra in B: weekly-sync-2026@calport.example at 2026-04-06T07:30:00Z"))
        #expect(r.stdoutText.contains("missing in B: weekly-sync-2026@calport.example at 2026-04-13T07:30:00Z"))
        let json = try calport(["verify", sample.path, other.path, "--json"])
        let report = try jsonObject(json.stdout) as! NSDictionary
        #expect((report["differences"] as? NSArray)?.count == 3)
        #expect(try calport(["verify", sample.path, sample.path]).status == 0)
        #expect(try calport(["verify", sample.path, sample.path, "--window", "bad"]).status == 64)
    }

    @Test func aCancelledEventHasNoOccurrencesToCompare() throws {
        // Google keeps a cancelled event only as a deleted one: a calendar pulled from Google
        // lacks it, and is still equivalent. Cancelling an event is a difference.
        let sample = try String(contentsOf: Paths.testdata.appendingPathComponent("sample.ics"), encoding: .utf8)
        let cancelled = """
            BEGIN:VEVENT\r\nUID:called-off@calport.example\r\nDTSTAMP:20260101T000000Z\r\n\
            DTSTART:20260301T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n\
            SUMMARY:Called off\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:called-off@calport.example\r\nDTSTAMP:20260101T000000Z\r\n\
            RECURRENCE-ID:20260308T100000Z\r\nDTSTART:20260308T120000Z\r\nDURATION:PT1H\r\n\
            SUMMARY:Called off (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR
            """
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let withCancelled = dir.appendingPathComponent("with.ics")
        try Data(sample.replacingOccurrences(of: "END:VCALENDAR", with: cancelled).utf8).write(to: withCancelled)
        let sampleFile = Paths.testdata.appendingPathComponent("sample.ics").path
        let same = try calport(["verify", withCancelled.path, sampleFile])
        #expect(same.status == 0, "\(same.stdoutText)")
        #expect(same.stderr.contains("1 cancelled event"))
        let confirmed = dir.appendingPathComponent("confirmed.ics")
        try Data(sample.replacingOccurrences(of: "END:VCALENDAR", with: cancelled.replacingOccurrences(of: "STATUS:CANCELLED\r\n", with: "")).utf8)
            .write(to: confirmed)
        let differs = try calport(["verify", withCancelled.path, confirmed.path])
        #expect(differs.status == 1)
        #expect(differs.stdoutText.contains("extra in B: called-off@calport.example"))
    }
}
