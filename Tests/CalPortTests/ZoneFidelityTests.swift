import Foundation
import Testing

/// Issue 13's time-zone shapes, judged by what Google shows: `start.dateTime` with its offset
/// and `start.timeZone`. The fixtures are testdata/cases/<case>.ics + .json (FixtureTests
/// holds the whole output); these tests name each behaviour and check the diagnostics.
@Suite struct ZoneFidelityTests {
    private func convert(_ name: String, _ extra: [String] = []) throws -> (RunResult, [[String: Any]]) {
        let r = try calport(["convert", Paths.cases.appendingPathComponent(name + ".ics").path, "--to", "json"] + extra)
        let items = (try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        return (r, items)
    }

    private func start(_ items: [[String: Any]], _ uid: String) -> [String: String]? {
        items.first { $0["iCalUID"] as? String == uid }?["start"] as? [String: String]
    }

    @Test func truncatedVTimezoneUnderAnIANANameTakesTheTzDatabaseOutsideItsRange() throws {
        let (r, items) = try convert("truncated-vtimezone-iana")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(start(items, "truncated-1@calport.test") == ["dateTime": "2017-03-11T17:00:00+01:00", "timeZone": "Europe/Berlin"])
        #expect(start(items, "truncated-2@calport.test") == ["dateTime": "2018-07-04T18:00:00+02:00", "timeZone": "Europe/Berlin"])
        #expect(start(items, "truncated-3@calport.test") == ["dateTime": "2019-07-10T18:00:00+02:00", "timeZone": "Europe/Berlin"])
        #expect(start(items, "truncated-4@calport.test") == ["dateTime": "2017-01-15T09:00:00+01:00", "timeZone": "Europe/Berlin"])
        // It agrees with Europe/Berlin where it is defined: nothing to report.
        #expect(!r.stderr.contains("warning"), "\(r.stderr)")
    }

    @Test func vtimezoneThatDisagreesWithItsIANANameIsFollowedReportedAndNotLabelledWithThatName() throws {
        let (r, items) = try convert("vtimezone-disagrees-with-iana")
        #expect(r.status == 0, "\(r.stderr)")
        // The sender's rules say summer time (-02:00); the instant follows them, and the zone
        // is left out rather than contradicted (America/Sao_Paulo has had no DST since 2019).
        #expect(start(items, "stale-rules-1@calport.test") == ["dateTime": "2025-01-15T12:00:00Z"])
        #expect(start(items, "stale-rules-2@calport.test") == ["dateTime": "2025-07-10T10:00:00-03:00", "timeZone": "America/Sao_Paulo"])
        #expect(r.stderr.contains("VTIMEZONE \"America/Sao_Paulo\" differs from the tz database"), "\(r.stderr)")
    }

    @Test func outlookDisplayNamesFixedOffsetsAndExchangeUTCResolveWithoutAVTimezone() throws {
        let (r, items) = try convert("zone-names-without-vtimezone")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(start(items, "names-1@calport.test") == ["dateTime": "2025-07-07T10:00:00+02:00", "timeZone": "Europe/Berlin"])
        #expect(start(items, "names-2@calport.test") == ["dateTime": "2025-01-15T09:00:00-05:00", "timeZone": "America/New_York"])
        // POSIX signs: Etc/GMT-1 is one hour *east* of Greenwich.
        #expect(start(items, "names-3@calport.test") == ["dateTime": "2025-07-07T10:00:00+01:00", "timeZone": "Etc/GMT-1"])
        #expect(start(items, "names-4@calport.test") == ["dateTime": "2025-07-07T10:00:00-05:00", "timeZone": "Etc/GMT+5"])
        // Written as calport writes any UTC time: Google reads a "Z" time without a zone as UTC.
        #expect(start(items, "names-5@calport.test") == ["dateTime": "2025-07-07T10:00:00Z"])
    }

    @Test func windowsNamesThatAreMappedAreNotReportedAsUnknown() throws {
        let (r, items) = try convert("zone-names-without-vtimezone")
        #expect(start(items, "names-6@calport.test") == ["dateTime": "2025-07-07T10:00:00+02:00", "timeZone": "Europe/Berlin"])
        #expect(!r.stderr.contains("not in the tz database"), "\(r.stderr)")
        #expect(!r.stderr.contains("cannot be placed"), "\(r.stderr)")
    }

    @Test func defaultTZPlacesATZIDNobodyCanResolveWithAWarning() throws {
        let (r, items) = try convert("unresolvable-tzid-default-tz", ["--default-tz", "Europe/Vienna"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(start(items, "customized-1@calport.test") == ["dateTime": "2025-07-07T10:00:00+02:00", "timeZone": "Europe/Vienna"])
        #expect(r.stderr.contains("warning: TZID \"Customized Time Zone\""), "\(r.stderr)")
        #expect(r.stderr.contains("Europe/Vienna"), "\(r.stderr)")
        #expect(!r.stderr.contains("error"), "\(r.stderr)")
    }

    @Test func withoutDefaultTZAnUnresolvableTZIDIsStillAnErrorThatNamesTheFallback() throws {
        let (r, _) = try convert("unresolvable-tzid-default-tz")
        #expect(r.status == 65)
        #expect(r.stderr.contains("--default-tz"), "\(r.stderr)")
    }
}
