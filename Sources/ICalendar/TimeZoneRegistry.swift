import CalendarModel

/// Something that gives a zone's UTC offset at a wall-clock time.
protocol ZoneOffsets: AnyObject {
    /// Seconds east of UTC at a wall-clock time in this zone.
    func utcOffset(at local: LocalDateTime) -> Int
}

extension LibicalZone: ZoneOffsets {}

/// An IANA zone read from the system tz database's TZif file. Preferred over libical's
/// built-in zones, which give wrong offsets for some zones and years in libical 3.0
/// (Asia/Jerusalem 2013-2016, America/Sao_Paulo 2014, Asia/Tehran 2018-2019, and zones
/// with DST after 2037, among others).
final class TzifZoneOffsets: ZoneOffsets {
    let zone: TzifZone
    init(_ zone: TzifZone) { self.zone = zone }

    func utcOffset(at local: LocalDateTime) -> Int {
        WallTime.utcOffset(wall: local.secondsSinceEpoch) { Int(zone.offset(at: $0)) }
    }
}

/// Resolves TZIDs: first against the VTIMEZONEs of the input, then against the system tz
/// database (its TZif files, else libical's built-in zones).
final class TimeZoneRegistry {
    private var fromInput: [String: LibicalZone] = [:]
    private var builtin: [String: ZoneOffsets?] = [:]
    private var equivalents: [String: String?] = [:]

    func register(_ definition: TimeZoneDefinition, zone: LibicalZone) {
        fromInput[definition.tzid] = zone
    }

    func zone(for tzid: String) -> ZoneOffsets? {
        if let z = fromInput[tzid] { return z }
        if let cached = builtin[tzid] { return cached }
        let z = TimeZoneRegistry.systemZone(tzid) ?? TimeZoneRegistry.ianaSuffix(of: tzid).flatMap(TimeZoneRegistry.systemZone)
        builtin[tzid] = z
        return z
    }

    static func systemZone(_ name: String) -> ZoneOffsets? {
        if !name.hasPrefix("/"), let tzif = Libical.lock.withLock({ ZoneMatcher.loadTzif(named: name) }) {
            return TzifZoneOffsets(tzif)
        }
        return LibicalZone(builtin: name)
    }

    /// The IANA zone whose offsets and transitions equal those of a VTIMEZONE from the
    /// input with a name that is not an IANA name, over the years around `year`.
    func ianaEquivalent(of tzid: String, around year: Int) -> String? {
        if let known = equivalents[tzid] { return known }
        guard let zone = fromInput[tzid] else { return nil }
        let match = ZoneMatcher.ianaEquivalent(of: zone, tzid: tzid, years: (year - 1)...(year + 1))
        equivalents[tzid] = .some(match)
        return match
    }

    private var reportedUnknown: Set<String> = []

    /// True the first time an unknown TZID is asked about, so it is reported once.
    func firstReportOfUnknown(_ tzid: String) -> Bool { reportedUnknown.insert(tzid).inserted }

    /// `/mozilla.org/20050126_1/Europe/Berlin` and similar vendor prefixes name an IANA zone
    /// in their last one to three path segments.
    static func ianaSuffix(of tzid: String) -> String? {
        guard tzid.hasPrefix("/") else { return nil }
        let parts = tzid.split(separator: "/")
        for n in [3, 2, 1] where parts.count >= n {
            let candidate = parts.suffix(n).joined(separator: "/")
            if candidate.first?.isUppercase == true, systemZone(candidate) != nil { return candidate }
        }
        return nil
    }
}
