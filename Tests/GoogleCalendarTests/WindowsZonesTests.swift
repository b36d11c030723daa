import Foundation
import Testing
@testable import GoogleCalendar

@Suite("WindowsZones")
struct WindowsZonesTests {
    @Test("common Windows names map to their CLDR default zone", arguments: [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("Eastern Standard Time", "America/New_York"),
        ("GMT Standard Time", "Europe/London"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Romance Standard Time", "Europe/Paris"),
        ("UTC", "Etc/UTC"),
        ("Dateline Standard Time", "Etc/GMT+12"),
    ])
    func knownNames(windows: String, iana: String) {
        #expect(WindowsZones.ianaName(forWindowsName: windows) == iana)
    }

    @Test("Outlook's numbered variants resolve to the base name", arguments: [
        ("Eastern Standard Time 1", "America/New_York"),
        ("W. Europe Standard Time 2", "Europe/Berlin"),
        ("Pacific Standard Time 12", "America/Los_Angeles"),
        ("Eastern Standard Time (Mexico) 1", "America/Cancun"),
    ])
    func numberedVariants(windows: String, iana: String) {
        #expect(WindowsZones.ianaName(forWindowsName: windows) == iana)
    }

    @Test("names that really end in a number are matched exactly first")
    func namesEndingInNumbers() {
        #expect(WindowsZones.ianaName(forWindowsName: "Russia Time Zone 3") == "Europe/Samara")
        #expect(WindowsZones.ianaName(forWindowsName: "Russia Time Zone 10") == "Asia/Srednekolymsk")
        #expect(WindowsZones.ianaName(forWindowsName: "Russia Time Zone 11 2") == "Asia/Kamchatka")
        #expect(WindowsZones.ianaName(forWindowsName: "russia time zone 3") == "Europe/Samara")
        #expect(WindowsZones.ianaName(forWindowsName: "UTC-11") == "Etc/GMT+11")
        #expect(WindowsZones.ianaName(forWindowsName: "UTC+12") == "Etc/GMT-12")
    }

    @Test("case differences, quotes and surrounding spaces are ignored", arguments: [
        "w. europe standard time",
        "W. EUROPE STANDARD TIME",
        "\"W. Europe Standard Time\"",
        "  W. Europe Standard Time\t",
        " \"w. Europe Standard time 1\" ",
    ])
    func lenientInput(windows: String) {
        #expect(WindowsZones.ianaName(forWindowsName: windows) == "Europe/Berlin")
    }

    @Test("unknown names give nil", arguments: [
        "", "   ", "\"\"", "1", " 2", "Mars Standard Time", "Europe/Berlin",
        "Eastern Standard Time X", "Eastern Standard", "Standard Time 1",
    ])
    func unknownNames(windows: String) {
        #expect(WindowsZones.ianaName(forWindowsName: windows) == nil)
    }

    @Test("territories pick the local zone and fall back to 001")
    func territories() {
        #expect(WindowsZones.ianaName(forWindowsName: "W. Europe Standard Time", territory: "CH") == "Europe/Zurich")
        #expect(WindowsZones.ianaName(forWindowsName: "Eastern Standard Time 1", territory: "CA") == "America/Toronto")
        #expect(WindowsZones.ianaName(forWindowsName: "W. Europe Standard Time", territory: "JP") == "Europe/Berlin")
        #expect(WindowsZones.ianaName(forWindowsName: "Pacific Standard Time", territory: "") == "America/Los_Angeles")
        #expect(WindowsZones.ianaName(forWindowsName: "Mars Standard Time", territory: "US") == nil)
    }

    @Test("the generated table is well formed")
    func tableShape() {
        #expect(WindowsZones.table.count > 100)
        for (name, territories) in WindowsZones.table {
            #expect(territories["001"] != nil, "\(name) has no default zone")
            for (territory, iana) in territories {
                #expect(!iana.isEmpty && !iana.contains(" "), "\(name)/\(territory): \(iana)")
            }
            // Every key must be reachable through the public lookup.
            #expect(WindowsZones.ianaName(forWindowsName: name) == territories["001"])
        }
        #expect(WindowsZones.lowercasedNames.count == WindowsZones.table.count)
    }

    @Test("every IANA id in the table is known to Foundation")
    func foundationKnowsEveryZone() {
        var unknown: [String] = []
        for (name, territories) in WindowsZones.table {
            for (territory, iana) in territories where TimeZone(identifier: iana) == nil {
                unknown.append("\(name) [\(territory)] -> \(iana)")
            }
        }
        unknown.sort()
        #expect(unknown.isEmpty, "IANA ids unknown to Foundation:\n\(unknown.joined(separator: "\n"))")
    }

    @Test("Outlook's display names resolve through their Windows zone", arguments: [
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("(UTC-08:00) Pacific Time (US & Canada)", "America/Los_Angeles"),
        ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Calcutta"),
        ("(UTC) Coordinated Universal Time", "Etc/UTC"),
        // Windows XP-era spelling and Outlook's quoting and case.
        ("(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
        ("\"(utc-05:00) eastern time (us & canada)\"", "America/New_York"),
    ])
    func displayNames(display: String, iana: String) {
        #expect(TimeZoneNames.ianaName(for: display) == iana)
    }

    @Test("a display name whose offset is not its zone's is not guessed at")
    func displayNameWithAnotherOffset() {
        #expect(TimeZoneNames.ianaName(for: "(UTC+03:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna") == nil)
    }

    @Test("every Windows zone CLDR maps has a display name that leads back to it")
    func everyZoneHasADisplayName() {
        let named = Set(WindowsZones.displayNames.values)
        #expect(named == Set(WindowsZones.table.keys))
        for (display, key) in WindowsZones.displayNames {
            #expect(TimeZoneNames.ianaName(for: display) == WindowsZones.table[key]?["001"], "\(display)")
        }
    }

    @Test("fixed GMT offsets become Etc zones, whose sign is inverted (POSIX)", arguments: [
        ("GMT+0100", "Etc/GMT-1"), ("GMT-0500", "Etc/GMT+5"), ("GMT+0000", "Etc/GMT"), ("GMT+0", "Etc/GMT"),
        ("GMT+12", "Etc/GMT-12"), ("GMT-1200", "Etc/GMT+12"), ("GMT+1400", "Etc/GMT-14"), ("UTC+02:00", "Etc/GMT-2"),
    ])
    func fixedOffsets(tzid: String, iana: String) {
        #expect(TimeZoneNames.ianaName(for: tzid) == iana)
    }

    @Test("offsets with minutes, or beyond the Etc zones, have no IANA name", arguments: ["GMT+0530", "GMT-1300", "GMT+1500", "GMT+01000"])
    func fixedOffsetsWithoutAZone(tzid: String) {
        #expect(TimeZoneNames.ianaName(for: tzid) == nil)
    }

    @Test("Exchange's tzone://Microsoft/ names", arguments: [
        ("tzone://Microsoft/Utc", "UTC"), ("tzone://Microsoft/W. Europe Standard Time", "Europe/Berlin"),
    ])
    func exchangeNames(tzid: String, iana: String) {
        #expect(TimeZoneNames.ianaName(for: tzid) == iana)
    }

    @Test("tzone://Microsoft/Custom names no zone: only its VTIMEZONE can say what it is")
    func exchangeCustom() {
        #expect(TimeZoneNames.ianaName(for: "tzone://Microsoft/Custom") == nil)
    }
}
