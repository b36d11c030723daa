/// Bounds on the VTIMEZONEs calport hands to libical.
///
/// libical expands a zone's observances into a table of every offset change from the first
/// onset up to the year asked about. Real zones change their offset a few times a year: over
/// the whole public corpus every observance rule is `FREQ=YEARLY`, with at most 38 observances
/// and 176 RDATE values in one VTIMEZONE. A rule such as `FREQ=SECONDLY` from 1970 instead asks
/// for billions of changes (a 274-byte file held `convert` for minutes while memory grew past
/// 400 MB; `FREQ=HOURLY` took 2.6 s), so such zones are refused before libical sees them, with a
/// diagnostic, and times in them resolve against the tz database by name.
enum ZoneRuleLimits {
    /// Offset changes a year that one observance rule may produce (an estimate from its BY parts).
    static let maximumChangesPerYear = 24
    /// STANDARD and DAYLIGHT components in one VTIMEZONE.
    static let maximumObservances = 1_000
    /// RDATE values over all of a VTIMEZONE's observances.
    static let maximumRDates = 5_000

    /// Why `zone` (a VTIMEZONE) is not a usable time-zone definition, or nil when it is.
    static func problem(in zone: RawComponent) -> String? {
        let observances = zone.children.filter { $0.name == "STANDARD" || $0.name == "DAYLIGHT" }
        if observances.count > maximumObservances {
            return "\(observances.count) STANDARD/DAYLIGHT components (at most \(maximumObservances))"
        }
        var rdates = 0
        for observance in observances {
            for line in observance.properties {
                switch line.name {
                case "RRULE":
                    if let problem = ruleProblem(line.value) { return "\(observance.name) rule \(line.value): \(problem)" }
                case "RDATE":
                    rdates += line.value.split(separator: ",").count
                default: break
                }
            }
        }
        if rdates > maximumRDates { return "\(rdates) RDATE values (at most \(maximumRDates))" }
        return nil
    }

    /// Why an observance's RRULE is not a time-zone rule: one that does not repeat yearly, or
    /// whose BY parts select more than `maximumChangesPerYear` instants a year.
    static func ruleProblem(_ rule: String) -> String? {
        var parts: [String: [Substring]] = [:]
        for part in rule.split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            parts[part[..<eq].uppercased()] = part[part.index(after: eq)...].split(separator: ",")
        }
        guard let freq = parts["FREQ"]?.first?.uppercased() else { return "no FREQ" }
        guard freq == "YEARLY" else {
            return "FREQ=\(freq) changes the offset more often than a time zone does (its rules repeat yearly)"
        }
        func count(_ name: String) -> Int { max(1, parts[name]?.count ?? 0) }
        let months = count("BYMONTH")
        let days: Int
        if let yearDays = parts["BYYEARDAY"] {
            days = yearDays.count
        } else if let monthDays = parts["BYMONTHDAY"] {
            days = months * monthDays.count
        } else if let weekDays = parts["BYDAY"] {
            // "-1SU" is one day of the month (or year); "SU" is every Sunday in it.
            let every = weekDays.filter { $0.first?.isLetter == true }.count
            days = months * (weekDays.count - every + every * (parts["BYMONTH"] == nil ? 53 : 5))
        } else {
            days = months
        }
        var perYear = days * count("BYHOUR") * count("BYMINUTE") * count("BYSECOND")
        if let positions = parts["BYSETPOS"] { perYear = min(perYear, positions.count) }  // picks from the year's set
        if perYear > maximumChangesPerYear {
            return "selects about \(perYear) instants a year (a time zone changes its offset at most \(maximumChangesPerYear) times)"
        }
        return nil
    }
}
