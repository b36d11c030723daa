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
}
