import Foundation
import Testing

/// A calport run under limits: the address space is capped (ulimit -v) and the process is
/// killed when it overruns its time, so an unbounded expansion fails the test instead of
/// hanging it or exhausting the machine.
private struct BoundedRun {
    var result: RunResult
    var seconds: Double
    var killed: Bool

    /// 1 GiB of address space: a few million occurrences in memory would not fit.
    static let memoryKiB = 1 << 20

    static func calport(_ args: [String], seconds limit: Double = 60) throws -> BoundedRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v \(memoryKiB) && exec \"$0\" \"$@\"", Paths.calport.path] + args
        var env = ProcessInfo.processInfo.environment
        env["SOURCE_DATE_EPOCH"] = "1735689600"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let started = Date()
        try p.run()
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let killed = KilledFlag()
        let watchdog = DispatchWorkItem { [p] in
            if p.isRunning {
                killed.value = true
                p.terminate()
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        p.waitUntilExit()
        watchdog.cancel()
        group.wait()
        return BoundedRun(result: RunResult(status: p.terminationStatus, stdout: outData.data,
                                            stderr: String(decoding: errData.data, as: UTF8.self)),
                          seconds: Date().timeIntervalSince(started), killed: killed.value)
    }

    /// Ended on its own, within time and memory, with an exit code calport documents.
    var finished: Bool { !killed && result.status != 134 && result.status != 139 }
}

private final class KilledFlag: @unchecked Sendable { var value = false }

/// One VEVENT (plus optional extra components) in a calendar file in a fresh directory.
private func calendar(_ name: String, start: String, rule: String, extra: String = "") throws -> String {
    let dir = try Paths.temporaryDirectory()
    let text = """
        BEGIN:VCALENDAR\r
        VERSION:2.0\r
        PRODID:-//calport tests//EN\r
        BEGIN:VEVENT\r
        UID:series@calport.test\r
        DTSTAMP:20240101T000000Z\r
        DTSTART\(start)\r
        DURATION:PT1S\r
        \(rule)\r
        SUMMARY:Pathological\r
        END:VEVENT\r
        \(extra)END:VCALENDAR\r

        """
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// Infinite and pathological recurrences are bounded in `verify` and in conversion, and the
/// bound is reported.
@Suite struct PathologicalTests {
    @Test func countInTheMillionsIsCappedInVerify() throws {
        let f = try calendar("count.ics", start: ":20240101T000000Z", rule: "RRULE:FREQ=SECONDLY;COUNT=5000000")
        let run = try BoundedRun.calport(["verify", f, f])
        #expect(run.finished, "\(run.seconds)s: \(run.result.stderr)")
        #expect(run.result.status == 0)
        #expect(run.result.stderr.contains("capped at 2000 occurrences"))
        #expect(run.result.stdoutText.contains("equivalent: 2000 occurrences"))

        let limited = try BoundedRun.calport(["verify", f, f, "--limit", "37"])
        #expect(limited.finished)
        #expect(limited.result.stderr.contains("capped at 37 occurrences"))
        #expect(limited.result.stdoutText.contains("equivalent: 37 occurrences"))
    }

    @Test func countInTheMillionsIsConvertedAsARuleAndVerifiedAgainstIt() throws {
        let f = try calendar("count.ics", start: ":20240101T000000Z", rule: "RRULE:FREQ=SECONDLY;COUNT=5000000")
        let json = URL(fileURLWithPath: f).deletingLastPathComponent().appendingPathComponent("count.json").path
        let convert = try BoundedRun.calport(["convert", f, "--to", "json", "-o", json])
        #expect(convert.finished)
        #expect(convert.result.status == 0, "\(convert.result.stderr)")
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains("RRULE:FREQ=SECONDLY;COUNT=5000000"))

        let verify = try BoundedRun.calport(["verify", f, json, "--window", "2024-01-01/2030-01-01"])
        #expect(verify.finished, "\(verify.seconds)s")
        #expect(verify.result.status == 0, "\(verify.result.stdoutText)")
        #expect(verify.result.stderr.contains("capped at 2000 occurrences"))
    }

    @Test(arguments: [
        // libical 3 tests these one second (minute) at a time and finds almost nothing: without
        // the work bound, two centuries of seconds would be scanned. The --limit is no help here.
        ("RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=12;BYMINUTE=0;BYSECOND=0", 1_000_000,
         "expanded only up to 1900-01-04T11:20:00, as libical tests this rule one second at a time"),
        ("RRULE:FREQ=MINUTELY;BYMONTH=12;BYMONTHDAY=31;BYHOUR=23;BYMINUTE=59;BYSECOND=59", 1_000_000,
         "as libical tests this rule one minute at a time"),
        // Dense ones: the per-series cap stops them.
        ("RRULE:FREQ=SECONDLY;BYSECOND=0", 2000, "capped at 2000 occurrences"),
        ("RRULE:FREQ=YEARLY;BYMONTH=1;BYHOUR=0,6,12,18;BYMINUTE=0,10,20,30,40,50;BYSECOND=0,15,30,45", 500,
         "capped at 500 occurrences"),
    ])
    func bysecondRulesAreBoundedWithANote(_ rule: String, limit: Int, note: String) throws {
        let f = try calendar("bysecond.ics", start: ";TZID=Europe/Berlin:19000101T000000", rule: rule)
        let run = try BoundedRun.calport(["verify", f, f, "--limit", String(limit)])
        #expect(run.finished, "\(rule): \(run.seconds)s")
        #expect(run.result.status == 0, "\(rule): \(run.result.stderr)")
        #expect(run.result.stderr.contains(note), "\(rule): no note on the bound: \(run.result.stderr)")

        let convert = try BoundedRun.calport(["convert", f, "--to", "json"])
        #expect(convert.finished)
        #expect(convert.result.status == 0)
        #expect(convert.result.stdoutText.contains(rule))
    }

    @Test func untilBeforeDtstartLeavesOnlyDtstartWithANote() throws {
        let f = try calendar("until.ics", start: ":20240601T090000Z", rule: "RRULE:FREQ=DAILY;UNTIL=20240101T000000Z")
        let run = try BoundedRun.calport(["verify", f, f])
        #expect(run.finished)
        #expect(run.result.status == 0)
        #expect(run.result.stderr.contains("UNTIL is before DTSTART"))
        #expect(run.result.stdoutText.contains("equivalent: 1 occurrences"))

        let convert = try BoundedRun.calport(["convert", f, "--to", "json"])
        #expect(convert.finished)
        #expect(convert.result.status == 0)
        #expect(convert.result.stdoutText.contains("UNTIL=20240101T000000Z"))
    }

    @Test func yearNineThousandNineHundredNinetyNineIsBounded() throws {
        let f = try calendar("y9999.ics", start: ":99991231T230000Z", rule: "RRULE:FREQ=SECONDLY;COUNT=1000000")
        let verify = try BoundedRun.calport(["verify", f, f, "--window", "9999-01-01/9999-12-31T23:59:59Z"])
        #expect(verify.finished)
        #expect(verify.result.status == 0, "\(verify.result.stdoutText)")
        #expect(!verify.result.stderr.isEmpty, "no note on a rule libical cannot expand")

        let json = URL(fileURLWithPath: f).deletingLastPathComponent().appendingPathComponent("y9999.json").path
        let convert = try BoundedRun.calport(["convert", f, "--to", "json", "-o", json])
        #expect(convert.finished)
        #expect(convert.result.status == 0)
        let back = try BoundedRun.calport(["convert", json, "--to", "ics"])
        #expect(back.finished)
        #expect(back.result.status == 0)
        #expect(back.result.stdoutText.contains("DTSTART:99991231T230000Z"))
    }

    /// A RANGE=THISANDFUTURE override splits its series, which means counting the occurrences
    /// before it: for a series too dense to count, the bound is hit and said.
    @Test func thisAndFutureOnADenseSeriesIsBoundedWithAWarning() throws {
        let override = """
            BEGIN:VEVENT\r
            UID:series@calport.test\r
            DTSTAMP:20240101T000000Z\r
            RECURRENCE-ID;RANGE=THISANDFUTURE:20240201T000000Z\r
            DTSTART:20240201T000100Z\r
            DURATION:PT1S\r
            SUMMARY:Moved\r
            END:VEVENT\r

            """
        let f = try calendar("split.ics", start: ":20240101T000000Z", rule: "RRULE:FREQ=SECONDLY;COUNT=5000000", extra: override)
        let run = try BoundedRun.calport(["convert", f, "--to", "json"])
        #expect(run.finished, "\(run.seconds)s")
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdoutText.contains("FREQ=SECONDLY;UNTIL=20240131T235959Z"))
        #expect(run.result.stderr.contains("warning: RANGE=THISANDFUTURE at 20240201T000000Z: counting"),
                "the split's count was cut short without a word: \(run.result.stderr)")
        #expect(run.result.stderr.contains("COUNT may be too high"))

        // A series that can be counted is split without that warning.
        let small = try calendar("split-small.ics", start: ":20240101T000000Z", rule: "RRULE:FREQ=HOURLY;COUNT=5000", extra: override)
        let ok = try BoundedRun.calport(["convert", small, "--to", "json"])
        #expect(ok.finished)
        #expect(ok.result.status == 0)
        #expect(!ok.result.stderr.contains("counting"))
        #expect(ok.result.stdoutText.contains("FREQ=HOURLY;COUNT=4256"))  // 5000 less the 744 hours of January
    }

    /// A VTIMEZONE whose observance rule fires every second, minute or hour asks libical for
    /// billions of offset changes (it hung `convert`, `verify` and `push --dry-run` while memory
    /// grew past 400 MB). Such a zone is refused with an error naming it; the event is still
    /// converted, and every command finishes in seconds.
    @Test(arguments: ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=DAILY",
                      "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=1,2,3"])
    func absurdTimeZoneRulesAreRefusedQuickly(_ rule: String) throws {
        let zone = """
            BEGIN:VTIMEZONE\r
            TZID:Hostile\r
            BEGIN:STANDARD\r
            DTSTART:19700101T000000\r
            RRULE:\(rule)\r
            TZOFFSETFROM:+0100\r
            TZOFFSETTO:+0200\r
            END:STANDARD\r
            END:VTIMEZONE\r

            """
        let f = try calendar("zone.ics", start: ";TZID=Hostile:20250301T100000", rule: "SEQUENCE:0", extra: zone)
        for args in [["convert", f], ["verify", f, f], ["push", f, "--calendar", "primary", "--dry-run"]] {
            let run = try BoundedRun.calport(args, seconds: 20)
            #expect(run.finished && run.seconds < 10, "\(rule) \(args[0]): \(run.seconds)s")
            #expect(run.result.stderr.contains("VTIMEZONE \"Hostile\" is not a usable time zone"), "\(rule) \(args[0]): \(run.result.stderr)")
        }
        let convert = try BoundedRun.calport(["convert", f, "--to", "ndjson"])
        #expect(convert.result.stdoutText.contains("\"summary\":\"Pathological\""), "the event itself is kept")
    }

    /// Every fuzz fixture converts without a crash: a result or a diagnostic, in bounded time.
    @Test func fuzzFixturesConvertOrFailWithADiagnostic() throws {
        let dir = Paths.testdata.appendingPathComponent("fuzz")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".ics") || $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for name in files.sorted() {
            let path = dir.appendingPathComponent(name).path
            for to in ["json", "ics"] {
                let run = try BoundedRun.calport(["convert", path, "--to", to])
                #expect(run.finished, "\(name) --to \(to): \(run.seconds)s")
                #expect([0, 65].contains(run.result.status), "\(name) --to \(to): exit \(run.result.status)")
                if run.result.status != 0 { #expect(run.result.stderr.contains("calport")) }
                #expect(run.result.stderr.contains("error") || run.result.stderr.contains("warning"),
                        "\(name): a fuzz fixture without any diagnostic")
            }
        }
    }
}
