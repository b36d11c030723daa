import CalendarModel
@testable import ICalendar
import Testing

/// A VTIMEZONE as Outlook writes a custom zone: yearly rules from 1601, standard and daylight.
private func vtimezone(_ tzid: String, standard: (from: String, to: String, start: String, rule: String?),
                       daylight: (from: String, to: String, start: String, rule: String)?) -> String {
    var lines = ["BEGIN:VTIMEZONE", "TZID:\(tzid)",
                 "BEGIN:STANDARD", "DTSTART:\(standard.start)",
                 "TZOFFSETFROM:\(standard.from)", "TZOFFSETTO:\(standard.to)"]
    if let r = standard.rule { lines.append("RRULE:\(r)") }
    lines.append("END:STANDARD")
    if let d = daylight {
        lines += ["BEGIN:DAYLIGHT", "DTSTART:\(d.start)", "TZOFFSETFROM:\(d.from)", "TZOFFSETTO:\(d.to)",
                  "RRULE:\(d.rule)", "END:DAYLIGHT"]
    }
    lines.append("END:VTIMEZONE")
    return lines.joined(separator: "\r\n") + "\r\n"
}

private func zone(_ text: String) throws -> LibicalZone {
    let c = try #require(LibicalComponent(parsing: text))
    return try #require(LibicalZone(vtimezone: c))
}

private enum Custom {
    static func westEurope(_ tzid: String = "Customized Time Zone") -> String {
        vtimezone(tzid,
                  standard: ("+0200", "+0100", "16010101T030000", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10"),
                  daylight: ("+0100", "+0200", "16010101T020000", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3"))
    }
    static let usEastern = vtimezone("Customized Time Zone",
        standard: ("-0400", "-0500", "16010101T020000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"),
        daylight: ("-0500", "-0400", "16010101T020000", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"))
    static let india = vtimezone("Customized Time Zone",
        standard: ("+0530", "+0530", "16010101T000000", nil), daylight: nil)
    static let juneSummer = vtimezone("Customized Time Zone",
        standard: ("+0200", "+0100", "16010101T030000", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"),
        daylight: ("+0100", "+0200", "16010101T020000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=6"))
    static func sydney(_ tzid: String = "Customized Time Zone") -> String {
        vtimezone(tzid,
                  standard: ("+1100", "+1000", "16010101T030000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"),
                  daylight: ("+1000", "+1100", "16010101T020000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10"))
    }
    static let utc = vtimezone("GMT +0000 (Standard)",
        standard: ("+0000", "+0000", "19700101T000000", nil), daylight: nil)
}

@Suite struct ZoneMatcherTests {
    static let centralEurope: Set<String> = [
        "Europe/Amsterdam", "Europe/Berlin", "Europe/Brussels", "Europe/Paris", "Europe/Rome",
        "Europe/Vienna", "Europe/Zurich", "Europe/Stockholm", "Europe/Madrid", "Europe/Prague",
    ]

    @Test func westEuropeMatchesCentralEuropeanZones() throws {
        let z = try zone(Custom.westEurope())
        let all = ZoneMatcher.matchingZones(of: z, years: 2020...2026)
        #expect(ZoneMatcherTests.centralEurope.isSubset(of: Set(all)))
        #expect(!all.contains("Europe/London") && !all.contains("Africa/Lagos") && !all.contains("Europe/Athens"))
        let best = ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2020...2026)
        #expect(best == "Europe/Berlin")  // preference list
    }

    @Test func cityInTheTzidWins() throws {
        let tzid = "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"
        let z = try zone(Custom.westEurope(tzid))
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: tzid, years: 2020...2026) == "Europe/Amsterdam")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Rome / Vienna custom", years: 2020...2026) == "Europe/Rome")
        // Synonyms ("Bern" is Europe/Zurich's capital) and whole words only ("Romeo" is no Rome).
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Bern", years: 2020...2026) == "Europe/Zurich")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Romeo Time", years: 2020...2026) == "Europe/Berlin")
    }

    @Test func usEasternIsNewYork() throws {
        let z = try zone(Custom.usEastern)
        let all = ZoneMatcher.matchingZones(of: z, years: 2020...2026)
        #expect(all.contains("America/Toronto") && all.contains("America/Detroit"))
        #expect(!all.contains("America/Chicago"))
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2020...2026) == "America/New_York")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Eastern (Toronto)", years: 2020...2026) == "America/Toronto")
        // Before 2007 New York switched in April and October: the current rule matches nothing then.
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2005...2010) == nil)
    }

    @Test func fixedPlus0530IsKolkata() throws {
        let z = try zone(Custom.india)
        let all = ZoneMatcher.matchingZones(of: z, years: 2020...2026)
        #expect(all.contains("Asia/Kolkata"))
        #expect(!all.contains("Asia/Calcutta"))  // candidates are zone.tab's canonical names only
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2020...2026) == "Asia/Kolkata")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "(UTC+05:30) Sri Jayawardenepura", years: 2020...2026) == "Asia/Kolkata")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Colombo", years: 2020...2026) == "Asia/Colombo")
    }

    @Test func rulesThatNoZoneHasMatchNothing() throws {
        let z = try zone(Custom.juneSummer)
        #expect(ZoneMatcher.matchingZones(of: z, years: 2020...2026).isEmpty)
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "(UTC+01:00) Amsterdam, Berlin", years: 2020...2026) == nil)
    }

    @Test func southernHemisphereIsSydney() throws {
        let z = try zone(Custom.sydney())
        let all = ZoneMatcher.matchingZones(of: z, years: 2020...2026)
        #expect(all.contains("Australia/Sydney") && all.contains("Australia/Melbourne"))
        #expect(!all.contains("Australia/Brisbane") && !all.contains("Pacific/Auckland"))
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2020...2026) == "Australia/Sydney")
        let windows = "(UTC+10:00) Canberra, Melbourne, Sydney"
        #expect(ZoneMatcher.ianaEquivalent(of: try zone(Custom.sydney(windows)), tzid: windows, years: 2020...2026) == "Australia/Sydney")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "Melbourne office", years: 2020...2026) == "Australia/Melbourne")
    }

    @Test func constantZeroIsUTC() throws {
        let z = try zone(Custom.utc)
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "GMT +0000 (Standard)", years: 2020...2026) == "UTC")
        #expect(ZoneMatcher.ianaEquivalent(of: z, tzid: "(UTC) Monrovia, Reykjavik", years: 2020...2026) == "Africa/Monrovia")
    }

    @Test func transitionsAreFoundToTheSecond() throws {
        let z = try zone(Custom.westEurope())
        let p = Libical.lock.withLock { ZoneMatcher.profile(z.pointer, year: 2025) }
        let march30 = LocalDateTime(year: 2025, month: 3, day: 30, hour: 1).secondsSinceEpoch
        let october26 = LocalDateTime(year: 2025, month: 10, day: 26, hour: 1).secondsSinceEpoch
        #expect(p == ZoneMatcher.YearProfile(initial: 3600, transitions: [
            .init(at: march30, offset: 7200), .init(at: october26, offset: 3600),
        ]))
        let berlin = try #require(LibicalZone(builtin: "Europe/Berlin"))
        #expect(Libical.lock.withLock { ZoneMatcher.profile(berlin.pointer, year: 2025) } == p)
    }

    @Test func tzifZoneReadsTableAndFooter() throws {
        let berlin = try #require(Libical.lock.withLock { ZoneMatcher.loadTzif(named: "Europe/Berlin") })
        let march30 = LocalDateTime(year: 2025, month: 3, day: 30, hour: 1).secondsSinceEpoch
        #expect(berlin.offset(at: march30 - 1) == 3600 && berlin.offset(at: march30) == 7200)
        #expect(berlin.rule == PosixTZ(Array("CET-1CEST,M3.5.0,M10.5.0/3".utf8)))
        // Beyond the table (2037 in "fat" files) the footer rule answers.
        let march2200 = LocalDateTime(year: 2200, month: 3, day: 30, hour: 1).secondsSinceEpoch  // last Sunday
        #expect(berlin.offset(at: march2200 - 1) == 3600 && berlin.offset(at: march2200) == 7200)
        let kolkata = try #require(Libical.lock.withLock { ZoneMatcher.loadTzif(named: "Asia/Kolkata") })
        #expect(kolkata.offset(at: LocalDateTime(year: 2200, month: 7, day: 1).secondsSinceEpoch) == 19800)
        #expect(TzifZone(Array("not a tzif file".utf8)) == nil)
    }

    @Test func posixRulesParse() throws {
        func rule(_ s: String) -> PosixTZ? { PosixTZ(Array(s.utf8)) }
        #expect(rule("<+0530>-5:30") == PosixTZ(std: 19800))
        #expect(rule("HST10") == PosixTZ(std: -36000))
        let ny = try #require(rule("EST5EDT,M3.2.0,M11.1.0"))
        #expect(ny.std == -18000 && ny.dst == -14400 && ny.start == .monthWeekDay(month: 3, week: 2, weekday: 0) && ny.endTime == 7200)
        // Israel: Friday before the last Sunday of March, written as Thursday 26:00.
        let israel = try #require(rule("IST-2IDT,M3.4.4/26,M10.5.0"))
        #expect(israel.changes(year: 2026) == [
            LocalDateTime(year: 2026, month: 3, day: 27, hour: 0).secondsSinceEpoch,   // 02:00 IST
            LocalDateTime(year: 2026, month: 10, day: 24, hour: 23).secondsSinceEpoch, // 02:00 IDT
        ])
        // Negative DST (Dublin) and negative rule times (Nuuk).
        #expect(rule("IST-1GMT0,M10.5.0,M3.5.0/1")?.dst == 0)
        #expect(rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")?.startTime == -3600)
        #expect(rule("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45")?.dst == 49500)
        #expect(rule("EST5EDT") == nil && rule("") == nil && rule("CET-1CEST,M13.1.0,M10.5.0") == nil)
    }

    @Test func footerRulesContinueTheTables() throws {
        // For every zone whose footer has DST, the rule alone reproduces the table's last years.
        // (Gaza and Hebron are the exception by design: their tables list Ramadan suspensions
        // up to 2086, which no POSIX rule can express.)
        let names = Libical.lock.withLock { ZoneMatcher.candidateNames() }
            .filter { $0 != "Asia/Gaza" && $0 != "Asia/Hebron" }
        #expect(names.count > 300 && names.first == "Africa/Abidjan" && names.contains("UTC"))
        var checked = 0, differences: [String] = []
        for name in names where name != "UTC" {
            let zone = try #require(Libical.lock.withLock { ZoneMatcher.loadTzif(named: name) }, "\(name)")
            guard zone.rule.dst != nil else { continue }
            let ruleOnly = TzifZone(times: [], offsets: [], initial: zone.rule.std, rule: zone.rule)
            for year in 2026...2036 where zone.profile(year: year) != ruleOnly.profile(year: year) {
                differences.append("\(name) \(year)")
            }
            checked += 1
        }
        #expect(checked > 100)
        #expect(differences.isEmpty, "\(differences.prefix(20))")
    }

    @Test func libicalBuiltinsAgreeForMajorZones() throws {
        // Candidates are read from TZif; libical's built-in zones (used for TZIDs elsewhere) agree
        // with them for the zones people use most. (libical 3.0.16 gets some others wrong, e.g.
        // Asia/Jerusalem in 2015, Pacific/Easter in 2020.)
        for name in ["Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
                     "Australia/Sydney", "Asia/Kolkata", "Asia/Tokyo", "Pacific/Auckland", "America/Sao_Paulo"] {
            let tz = try #require(Libical.lock.withLock { ZoneMatcher.loadTzif(named: name) })
            let lz = try #require(LibicalZone(builtin: name))
            for year in 2016...2040 {
                let p = Libical.lock.withLock { ZoneMatcher.profile(lz.pointer, year: year) }
                #expect(tz.profile(year: year) == p, "\(name) \(year)")
            }
        }
    }

    @Test func yearsAreClamped() {
        #expect(ZoneMatcher.clamp(2020...2026) == 2020...2026)
        #expect(ZoneMatcher.clamp(1950...2100) == 2071...2100)
        #expect(ZoneMatcher.clamp(1500...1800) == nil)
        #expect(ZoneMatcher.clamp(2026...2026) == 2026...2026)
    }

    @Test func choiceIsDeterministic() {
        #expect(ZoneMatcher.choose(among: [], tzid: "x") == nil)
        #expect(ZoneMatcher.choose(among: ["Asia/Colombo", "Asia/Kolkata"], tzid: "x") == "Asia/Kolkata")
        #expect(ZoneMatcher.choose(among: ["Antarctica/Davis", "Indian/Christmas"], tzid: "x") == "Indian/Christmas")
        #expect(ZoneMatcher.choose(among: ["Pacific/B", "Pacific/A"], tzid: "x") == "Pacific/A")
        #expect(ZoneMatcher.choose(among: ["America/Argentina/Buenos_Aires", "America/Cayenne"], tzid: "Buenos Aires") == "America/Argentina/Buenos_Aires")
    }

    @Test func concurrentCallersAgree() async throws {
        let text = Custom.usEastern
        let results = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    guard let c = LibicalComponent(parsing: text), let z = LibicalZone(vtimezone: c) else { return nil }
                    return ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: 2015...2030)
                }
            }
            var out: [String?] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results == Array(repeating: "America/New_York", count: 8))
    }

    @Test func timing() throws {
        let clock = ContinuousClock()
        var lines: [String] = []
        for (name, text, years) in [("W. Europe", Custom.westEurope(), 2016...2025), ("US Eastern", Custom.usEastern, 2016...2025),
                                    ("Sydney", Custom.sydney(), 2016...2025), ("June rules", Custom.juneSummer, 2016...2025),
                                    ("+0530", Custom.india, 2016...2025)] {
            let z = try zone(text)
            let first = clock.measure { _ = ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: years) }
            let again = clock.measure { _ = ZoneMatcher.ianaEquivalent(of: z, tzid: "Customized Time Zone", years: years) }
            lines.append("\(name) 10 years: first \(first), again \(again)")
        }
        print("ZoneMatcher timing:\n  " + lines.joined(separator: "\n  "))
    }
}

