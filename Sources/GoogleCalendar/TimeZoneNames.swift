import Foundation
import CalendarModel

/// Turns the TZIDs found in iCalendar files into the IANA names Google requires.
public enum TimeZoneNames {
    public static func isKnown(_ name: String) -> Bool { GoogleTime.zone(name) != nil }

    /// The IANA name for a TZID: an IANA name as it is; a vendor path such as
    /// `/mozilla.org/20050126_1/Europe/Berlin` or `/freeassociation.sourceforge.net/Tzfile/Asia/Tokyo`
    /// by its IANA suffix; a Windows name ("W. Europe Standard Time", "Eastern Standard Time 1")
    /// through CLDR's table. nil when none applies.
    public static func ianaName(for tzid: String) -> String? {
        cache.withLock { cache in
            if let hit = cache[tzid] { return hit }
            let name = resolve(tzid)
            cache[tzid] = name
            return name
        }
    }

    private static let cache = LockedBox<[String: String?]>([:])

    private static func resolve(_ raw: String) -> String? {
        let tzid = raw.trimmingCharacters(in: CharacterSet(charactersIn: " \"\t"))
        if isCanonical(tzid) { return tzid }
        if tzid.hasPrefix("/") || tzid.contains("/") {
            let parts = tzid.split(separator: "/")
            for n in [3, 2, 1] where parts.count > n || (parts.count == n && tzid.hasPrefix("/")) {
                let candidate = parts.suffix(n).joined(separator: "/")
                if isCanonical(candidate) { return candidate }
            }
        }
        if let w = WindowsZones.ianaName(forWindowsName: tzid) { return w }
        return nil
    }

    /// An identifier Foundation knows that looks like an IANA name (not an abbreviation
    /// such as "EST" or "CET", which Foundation also accepts but Google does not).
    private static func isCanonical(_ s: String) -> Bool {
        guard GoogleTime.zone(s) != nil else { return false }
        return s.contains("/") || s == "UTC" || s == "GMT"
    }
}

extension TimeZoneNames {
    /// Seconds east of UTC at a wall-clock time in a zone named by a TZID (IANA, vendor path
    /// or Windows name), from the tz database; nil when the zone is unknown.
    public static func utcOffset(tzid: String, at local: LocalDateTime) -> Int? {
        guard let name = ianaName(for: tzid), let tz = GoogleTime.zone(name) else { return nil }
        return GoogleTime.offset(tz, at: local)
    }
}
