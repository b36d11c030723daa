import Foundation
import CalendarModel

/// Turns the TZIDs found in iCalendar files into the IANA names Google requires.
public enum TimeZoneNames {
    public static func isKnown(_ name: String) -> Bool { GoogleTime.zone(name) != nil }

    /// The IANA name for a TZID: an IANA name as it is; a vendor path such as
    /// `/mozilla.org/20050126_1/Europe/Berlin` or `/freeassociation.sourceforge.net/Tzfile/Asia/Tokyo`
    /// by its IANA suffix; a Windows name ("W. Europe Standard Time", "Eastern Standard Time 1")
    /// through CLDR's table, and so a Windows display name ("(UTC+01:00) Amsterdam, Berlin, …")
    /// and Exchange's `tzone://Microsoft/<Windows name>`; a whole-hour offset (`GMT+0100`)
    /// as its `Etc/GMT∓N` zone. nil when none applies.
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
        if let w = WindowsZones.windowsName(forDisplayName: tzid) { return WindowsZones.ianaName(forWindowsName: w) }
        if let etc = fixedOffsetZone(tzid) { return etc }
        // Exchange writes `tzone://Microsoft/Utc`, and `tzone://Microsoft/Custom` for a zone
        // that only its VTIMEZONE describes (nil here: the VTIMEZONE is matched instead).
        let exchange = "tzone://microsoft/"
        if tzid.lowercased().hasPrefix(exchange) {
            let rest = String(tzid.dropFirst(exchange.count))
            return rest.lowercased() == "utc" ? "UTC" : resolve(rest)
        }
        return nil
    }

    /// `GMT+0100`, `GMT-05`, `UTC+02:00` as `Etc/GMT-1`, `Etc/GMT+5`, `Etc/GMT-2`: the tz
    /// database's fixed-offset zones, whose names follow POSIX and so count hours *west* of
    /// Greenwich (tz's `etcetera` file). Only whole hours from -12 to +14 have such a zone.
    static func fixedOffsetZone(_ tzid: String) -> String? {
        let u = Array(tzid.uppercased().utf8)
        guard u.count >= 5, u.starts(with: Array("GMT".utf8)) || u.starts(with: Array("UTC".utf8)),
              u[3] == UInt8(ascii: "+") || u[3] == UInt8(ascii: "-") else { return nil }
        let east = u[3] == UInt8(ascii: "+")
        var digits = Array(u[4...])
        if digits.count == 5, digits[2] == UInt8(ascii: ":") { digits.remove(at: 2) }
        guard (1...4).contains(digits.count), digits.count != 3,
              digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let hourDigits = digits.count == 4 ? 2 : digits.count
        let hours = digits.prefix(hourDigits).reduce(0) { $0 * 10 + Int($1 - 48) }
        guard digits.dropFirst(hourDigits).allSatisfy({ $0 == 48 }) else { return nil }  // minutes: none
        if hours == 0 { return "Etc/GMT" }
        guard hours <= (east ? 14 : 12) else { return nil }
        return "Etc/GMT" + (east ? "-" : "+") + String(hours)
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
