import CalPort
import CalendarModel
import Foundation
import ICalendar
import Testing

/// Each testdata/cases/<case>.ics converts to exactly <case>.json, with the options in
/// <case>.args (one argument a line) when that file exists.
@Suite struct FixtureTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.cases.path)) ?? []
        return names.filter { $0.hasSuffix(".ics") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// The extra `convert` arguments of a case.
    static func arguments(_ name: String) -> [String] {
        let url = Paths.cases.appendingPathComponent(name + ".args")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func everyCaseHasItsExpectedJSON() {
        #expect(FixtureTests.cases.count >= 10)
        for c in FixtureTests.cases {
            #expect(FileManager.default.fileExists(atPath: Paths.cases.appendingPathComponent(c + ".json").path), "\(c).json is missing")
        }
    }

    @Test(arguments: cases)
    func icsToJSON(name: String) throws {
        let ics = Paths.cases.appendingPathComponent(name + ".ics")
        let expectedURL = Paths.cases.appendingPathComponent(name + ".json")
        let r = try calport(["convert", ics.path, "--to", "json"] + FixtureTests.arguments(name))
        #expect(r.status == 0 || r.status == 65, "\(r.stderr)")
        let expected = try jsonObject(Data(contentsOf: expectedURL))
        let actual = try jsonObject(r.stdout)
        if actual != expected {
            let dir = try Paths.temporaryDirectory()
            let got = dir.appendingPathComponent(name + ".json")
            try r.stdout.write(to: got)
            Issue.record("\(name): output differs; see: git diff --no-index \(expectedURL.path) \(got.path)")
        }
    }

    /// ics -> json -> ics -> json is a fixed point, and libical re-reads the .ics cleanly.
    @Test(arguments: cases)
    func roundTrip(name: String) throws {
        let ics = Paths.cases.appendingPathComponent(name + ".ics")
        let first = try calport(["convert", ics.path, "--to", "json"] + FixtureTests.arguments(name))
        // Input with errors (an unknown zone) is reported, not promised to round-trip.
        guard first.status == 0 else { return }
        let back = try calport(["convert", "--from", "json", "--to", "ics"], stdin: first.stdout)
        #expect(back.status == 0 || back.status == 65, "\(back.stderr)")
        let collector = DiagnosticCollector()
        let doc = try ICalendarReader.readDocument(bytes: Array(back.stdout), name: name, diagnostics: collector)
        #expect(!collector.diagnostics.contains { $0.message.hasPrefix("libical") }, "\(collector.diagnostics)")
        let again = try calport(["convert", "--from", "ics", "--to", "json"], stdin: back.stdout)
        #expect(try jsonObject(again.stdout) == jsonObject(first.stdout))
        // Series calport makes for overrides without one are dropped again on the way back.
        let items = ((try jsonObject(first.stdout) as? NSDictionary)?["items"] as? [NSDictionary]) ?? []
        let made = items.filter { (($0["extendedProperties"] as? NSDictionary)?["private"] as? NSDictionary)?["X-CALPORT-SYNTHETIC-SERIES"] != nil }
        #expect(doc.events.count == items.count - made.count)
    }

    @Test func diagnosticsNameFileLineAndUID() throws {
        let r = try calport(["convert", Paths.cases.appendingPathComponent("malformed-component.ics").path])
        #expect(r.status == 0)
        #expect(r.stderr.contains("malformed-component.ics:10: warning: line is not a content line"))
        #expect(r.stderr.contains("(UID broken-1@calport.test)"))
        #expect(r.stderr.contains("1 VTODO component skipped"))
        let u = try calport(["convert", Paths.cases.appendingPathComponent("unresolvable-tzid.ics").path])
        #expect(u.status == 65)
        #expect(u.stderr.contains("Mars/Olympus_Mons"))
        // The rest of the batch is still converted.
        #expect(u.stdoutText.contains("The next event is fine"))
    }
}
