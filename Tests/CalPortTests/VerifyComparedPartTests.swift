import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// `calport verify` keeps only what it compares of each event (`Verifier.Entry`): its reports
/// must be those of a comparison of the whole events.
@Suite struct VerifyComparedPartTests {
    static let mapping = MappingOptions(defaultTimeZone: "UTC")

    static func report(_ a: String, _ b: String, comparedOnly: Bool) throws -> Verifier.Report {
        let sink = DiagnosticCollector()
        let x = try CalendarLoader.load(path: a, mapping: mapping, diagnostics: sink, comparedOnly: comparedOnly)
        var google = mapping
        google.readsCarrier = false
        let y = try CalendarLoader.load(path: b, mapping: google, diagnostics: sink, comparedOnly: comparedOnly)
        return Verifier().compare(x, y, floatingZoneA: x.document.info.timeZone ?? "UTC", floatingZoneB: y.document.info.timeZone ?? "UTC")
    }

    /// Every fixture against its Google JSON read as Google shows it (alarms, guests and
    /// times differ in places): the same differences, counts and notes either way.
    @Test func comparedPartGivesTheSameReportAsWholeEvents() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.cases.path)
            .filter { $0.hasSuffix(".ics") }.map { String($0.dropLast(4)) }.sorted()
        #expect(names.count >= 10)
        var differing = 0
        for name in names {
            let ics = Paths.cases.appendingPathComponent(name + ".ics").path
            let json = Paths.cases.appendingPathComponent(name + ".json").path
            let whole = try Self.report(ics, json, comparedOnly: false)
            let part = try Self.report(ics, json, comparedOnly: true)
            #expect(part.differences.map(\.description) == whole.differences.map(\.description), "\(name)")
            #expect(part.notes.sorted() == whole.notes.sorted(), "\(name)")
            #expect((part.occurrencesA, part.occurrencesB, part.eventsA, part.eventsB)
                    == (whole.occurrencesA, whole.occurrencesB, whole.eventsA, whole.eventsB), "\(name)")
            if !whole.equivalent { differing += 1 }
        }
        // The fixtures hold differences Google makes, so the comparison above compares some.
        #expect(differing > 0)
    }

    /// Each compared field of an event, changed on one side, is reported (the comparison goes
    /// through `Verifier.Entry` whichever way the events came).
    @Test func everyComparedFieldSurvives() throws {
        var e = Event()
        e.uid = "u1"
        e.start = .utc(LocalDateTime(year: 2025, month: 3, day: 1, hour: 9))
        e.end = .utc(LocalDateTime(year: 2025, month: 3, day: 1, hour: 10))
        e.summary = "s"
        e.location = "l"
        e.description = "d"
        e.transparency = .opaque
        var who = CalendarUser(address: "mailto:a@example.com")
        who.participationStatus = "ACCEPTED"
        who.commonName = "A"
        e.attendees = [who]
        e.alarms = [Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(isNegative: true, minutes: 15), relatedToEnd: false))]
        e.recurrenceRules = ["FREQ=DAILY;COUNT=3"]
        e.exceptionDates = [.utc(LocalDateTime(year: 2025, month: 3, day: 2, hour: 9))]
        e.properties = [Property(name: "X-NOT-COMPARED", value: "1")]
        func loaded(_ events: [Event]) -> LoadedCalendar {
            LoadedCalendar(document: CalendarDocument(info: CalendarInfo(), events: events),
                           locations: events.map { _ in nil }, format: .json) { _, _ in 0 }
        }
        var changes: [(String, (inout Event) -> Void)] = [
            ("summary", { $0.summary = "t" }), ("location", { $0.location = "m" }), ("description", { $0.description = "e" }),
            ("transparency", { $0.transparency = .transparent }), ("status", { $0.status = .tentative }),
            ("attendees", { $0.attendees[0].participationStatus = "DECLINED" }),
            ("reminders", { $0.alarms[0].trigger = .relative(ICalDuration(isNegative: true, minutes: 5), relatedToEnd: false) }),
            ("end", { $0.end = .utc(LocalDateTime(year: 2025, month: 3, day: 1, hour: 11)) }),
        ]
        changes.append(("occurrences", { $0.exceptionDates = [] }))
        let same = Verifier().compare(loaded([e]), loaded([e]), floatingZoneA: nil, floatingZoneB: nil)
        #expect(same.equivalent && same.occurrencesA == 2)
        for (field, change) in changes {
            var f = e
            change(&f)
            let r = Verifier().compare(loaded([e]), loaded([f]), floatingZoneA: nil, floatingZoneB: nil)
            if field == "occurrences" {
                #expect(r.differences.map(\.kind) == [.extra], "\(r.differences)")
            } else {
                #expect(!r.differences.isEmpty && r.differences.allSatisfy { $0.field == field }, "\(field): \(r.differences)")
            }
        }
    }
}
