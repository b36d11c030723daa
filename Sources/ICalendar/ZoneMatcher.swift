#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibical
import CalendarModel

/// Finds the IANA zone that behaves exactly like a custom VTIMEZONE ("Customized Time Zone",
/// "(UTC+01:00) Amsterdam, Berlin, …", Lotus Notes names) over a range of years, so that
/// Google Calendar, which accepts only IANA names, shows the same instants.
///
/// Semantics: both sides are compared as *offsets from UTC at UTC instants*, to the second.
/// The custom zone is read through libical (`icaltimezone_get_utc_offset_of_utc_time`), which is
/// how calport interprets it everywhere else. Candidate zones are read from their TZif files in
/// the system tz database (transition table, then the POSIX TZ footer rule beyond it) — what
/// Google and every other tz consumer uses. libical's own built-in zones are not used for the
/// comparison: libical 3.0 rebuilds them from TZif as VTIMEZONE rules and gets some zones wrong
/// in some years (e.g. Asia/Jerusalem 2015, Pacific/Easter 2020); and expanding all ~400 of them
/// costs about 250 ms of C code on first use. They are the fallback for a zone whose TZif file
/// cannot be read.
///
/// Candidates are the names of libical's built-in set (the system `zone.tab`: canonical names
/// such as `Asia/Kolkata`, never backward links such as `Asia/Calcutta`) plus `UTC`.
///
/// A match, per UTC year of the range:
/// 1. The custom zone's *profile* is computed: its offset at 00:00:00 UTC on January 1 and every
///    change in the year, as (UTC instant to the second, offset from then on). Changes are found
///    by probing every `scanStep` and bisecting each probe interval whose ends differ,
///    recursively down to one second (two changes in one interval are both found).
/// 2. Cheap filter: each candidate's offset (binary search in its TZif table) is compared on
///    both sides of every custom transition and at mid-January and mid-July of every year.
/// 3. Exact check: the survivor's profile, built from its TZif transitions in the year, must equal
///    the custom profile: the same offsets, changing at the same seconds.
///
/// libical calls and the caches are guarded by `Libical.lock`.
enum ZoneMatcher {
    /// At most this many years are compared; a longer range keeps its last (most recent) years.
    static let maxYears = 30
    /// Years outside these bounds are not compared.
    static let supportedYears = 1900...2500
    /// The probe interval of the custom zone's transition scan. Offsets that change and change
    /// back within one interval go unseen; real zones never do that.
    static let scanStep = 6 * 3600

    /// The IANA zone whose offsets equal `zone`'s at every moment from Jan 1 of
    /// `years.lowerBound` to Dec 31 of `years.upperBound` (UTC), or nil.
    ///
    /// When several zones match, the choice is deterministic: (1) a zone whose city (or a listed
    /// synonym, e.g. "Beijing" for Asia/Shanghai) appears in `tzid` as a whole word, the earliest
    /// in the text; (2) the first match in `preferred`; (3) the alphabetically first, with
    /// Antarctic stations last.
    static func ianaEquivalent(of zone: LibicalZone, tzid: String, years: ClosedRange<Int>) -> String? {
        choose(among: matchingZones(of: zone, years: years), tzid: tzid)
    }

    /// Every candidate zone that matches `zone` over `years` (clamped by `clamp`), sorted by name.
    static func matchingZones(of zone: LibicalZone, years: ClosedRange<Int>) -> [String] {
        guard let years = clamp(years) else { return [] }
        _ = Libical.setUp
        return Libical.lock.withLock { matchLocked(zone.pointer, years: years) }
    }

    /// `years` limited to `supportedYears` and to the last `maxYears` years; nil when nothing is left.
    static func clamp(_ years: ClosedRange<Int>) -> ClosedRange<Int>? {
        let upper = min(years.upperBound, supportedYears.upperBound)
        let lower = max(years.lowerBound, supportedYears.lowerBound, upper - maxYears + 1)
        return lower <= upper ? lower...upper : nil
    }

    // MARK: Choosing among matches

    /// One matching zone by the rules of `ianaEquivalent`.
    static func choose(among matches: [String], tzid: String) -> String? {
        guard matches.count > 1 else { return matches.first }
        if let named = namedInText(tzid, among: matches) { return named }
        let set = Set(matches)
        if let p = preferred.first(where: set.contains) { return p }
        return matches.min { a, b in
            let (pa, pb) = (a.hasPrefix("Antarctica/"), b.hasPrefix("Antarctica/"))
            return pa != pb ? pb : a < b
        }
    }

    /// The match whose city name (or synonym) occurs earliest in `text` as a whole word,
    /// ignoring ASCII case; underscores read as spaces.
    static func namedInText(_ text: String, among matches: [String]) -> String? {
        let hay = normalized(text)
        var best: (position: Int, zone: String)?
        func consider(_ word: Substring, _ zone: String) {
            guard let pos = firstWordOccurrence(of: normalized(word), in: hay) else { return }
            if let b = best, (b.position, b.zone) <= (pos, zone) { return }
            best = (pos, zone)
        }
        for zone in matches where zone != "UTC" {
            if let city = zone.split(separator: "/").last { consider(city, zone) }
        }
        let set = Set(matches)
        for (word, zone) in synonyms where set.contains(zone) { consider(word[...], zone) }
        return best?.zone
    }

    private static func normalized<S: StringProtocol>(_ s: S) -> [UInt8] {
        s.utf8.map { c in c >= 65 && c <= 90 ? c + 32 : (c == 95 ? 32 : c) }
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || c >= 128 }

    private static func firstWordOccurrence(of needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard !needle.isEmpty, needle.count <= hay.count else { return nil }
        outer: for start in 0...(hay.count - needle.count) {
            for k in 0..<needle.count where hay[start + k] != needle[k] { continue outer }
            if start > 0 && isLetter(hay[start - 1]) { continue }
            let end = start + needle.count
            if end < hay.count && isLetter(hay[end]) { continue }
            return start
        }
        return nil
    }

    /// Place names in Windows and Lotus Notes display names, and old spellings, that are not
    /// the city of the IANA name they stand for.
    static let synonyms: [(String, String)] = [
        ("Beijing", "Asia/Shanghai"), ("Chongqing", "Asia/Shanghai"), ("Canberra", "Australia/Sydney"),
        ("Wellington", "Pacific/Auckland"), ("Bern", "Europe/Zurich"), ("Brasilia", "America/Sao_Paulo"),
        ("New Delhi", "Asia/Kolkata"), ("Mumbai", "Asia/Kolkata"), ("Chennai", "Asia/Kolkata"),
        ("Calcutta", "Asia/Kolkata"), ("Kiev", "Europe/Kyiv"), ("Saigon", "Asia/Ho_Chi_Minh"),
        ("Hanoi", "Asia/Bangkok"), ("Rangoon", "Asia/Yangon"), ("Katmandu", "Asia/Kathmandu"),
        ("Osaka", "Asia/Tokyo"), ("Sapporo", "Asia/Tokyo"), ("Godthab", "America/Nuuk"),
        ("Hawaii", "Pacific/Honolulu"), ("Alaska", "America/Anchorage"), ("Arizona", "America/Phoenix"),
    ]

    /// Well-known zones, preferred in this order when several zones match and the TZID names
    /// none of them. Only the order among zones with the same offsets matters; comments give them.
    static let preferred: [String] = [
        "UTC",                                                           // +00
        "America/New_York",                                              // -05/-04 US rules
        "America/Chicago",                                               // -06/-05
        "America/Denver",                                                // -07/-06
        "America/Phoenix",                                               // -07
        "America/Los_Angeles",                                           // -08/-07
        "America/Anchorage",                                             // -09/-08
        "Pacific/Honolulu",                                              // -10
        "America/Adak",                                                  // -10/-09
        "America/Halifax",                                               // -04/-03
        "America/St_Johns",                                              // -03:30/-02:30
        "America/Mexico_City",                                           // -06 (from 2023)
        "America/Bogota",                                                // -05
        "America/Caracas",                                               // -04
        "America/Sao_Paulo", "America/Argentina/Buenos_Aires",           // -03
        "America/Santiago", "America/Havana", "America/Asuncion",
        "America/Noronha",                                               // -02
        "America/Nuuk",                                                  // -02/-01
        "Atlantic/Azores", "Atlantic/Cape_Verde",                        // -01
        "Europe/London", "Europe/Dublin", "Europe/Lisbon",               // +00/+01 EU rules
        "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", // +01/+02 EU rules
        "Africa/Lagos",                                                  // +01
        "Africa/Casablanca",
        "Europe/Athens", "Europe/Helsinki",                              // +02/+03 EU rules
        "Africa/Johannesburg", "Africa/Cairo",                           // +02
        "Asia/Jerusalem", "Asia/Beirut",
        "Europe/Moscow", "Europe/Istanbul", "Asia/Riyadh", "Africa/Nairobi", // +03
        "Asia/Tehran",                                                   // +03:30
        "Asia/Dubai",                                                    // +04
        "Asia/Kabul",                                                    // +04:30
        "Asia/Karachi", "Asia/Tashkent",                                 // +05
        "Asia/Kolkata",                                                  // +05:30 (before Asia/Colombo)
        "Asia/Kathmandu",                                                // +05:45
        "Asia/Dhaka",                                                    // +06
        "Asia/Yangon",                                                   // +06:30
        "Asia/Bangkok", "Asia/Jakarta",                                  // +07
        "Asia/Shanghai", "Asia/Singapore", "Asia/Hong_Kong", "Australia/Perth", // +08
        "Asia/Tokyo", "Asia/Seoul",                                      // +09
        "Australia/Darwin",                                              // +09:30
        "Australia/Adelaide",                                            // +09:30/+10:30
        "Australia/Brisbane",                                            // +10
        "Australia/Sydney", "Australia/Melbourne",                       // +10/+11
        "Pacific/Noumea",                                                // +11
        "Pacific/Auckland",                                              // +12/+13
        "Pacific/Fiji",                                                  // +12
        "Pacific/Tongatapu",                                             // +13
        "Pacific/Kiritimati",                                            // +14
    ]

    // MARK: Profiles

    /// A change of offset: from `at` (seconds since the epoch, UTC) on, `offset` seconds east of UTC.
    struct Transition: Equatable {
        var at: Int
        var offset: Int32
    }

    /// A zone's behaviour in one UTC year: the offset at its first second and every change in it.
    struct YearProfile: Equatable {
        var initial: Int32
        var transitions: [Transition]
    }

    /// First second of `year` in UTC, as seconds since the epoch.
    static func startOfYear(_ year: Int) -> Int { LocalDate(year: year, month: 1, day: 1).daysSinceEpoch * 86_400 }

    /// A libical zone's offset east of UTC at a UTC instant. Caller holds `Libical.lock`.
    static func offset(_ zone: OpaquePointer, at t: Int) -> Int32 {
        let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
        let rem = t - days * 86_400
        let d = LocalDate(daysSinceEpoch: days)
        var tt = icaltime_null_time()
        tt.year = Int32(d.year); tt.month = Int32(d.month); tt.day = Int32(d.day)
        tt.hour = Int32(rem / 3600); tt.minute = Int32(rem % 3600 / 60); tt.second = Int32(rem % 60)
        return icaltimezone_get_utc_offset_of_utc_time(zone, &tt, nil)
    }

    /// A libical zone's profile for one UTC year, by scanning. Caller holds `Libical.lock`.
    static func profile(_ zone: OpaquePointer, year: Int) -> YearProfile {
        let start = startOfYear(year), last = startOfYear(year + 1) - 1
        let initial = offset(zone, at: start)
        var transitions: [Transition] = []
        var a = start, oa = initial
        while a < last {
            let b = min(a + scanStep, last)
            let ob = offset(zone, at: b)
            if ob != oa { refine(zone, a, oa, b, ob, into: &transitions) }
            a = b; oa = ob
        }
        return YearProfile(initial: initial, transitions: transitions)
    }

    /// Appends the changes in (a, b], knowing offset(a) = oa ≠ ob = offset(b), in time order.
    private static func refine(_ zone: OpaquePointer, _ a: Int, _ oa: Int32, _ b: Int, _ ob: Int32,
                               into out: inout [Transition]) {
        if b - a == 1 {
            out.append(Transition(at: b, offset: ob))
            return
        }
        let m = a + (b - a) / 2
        let om = offset(zone, at: m)
        if om != oa { refine(zone, a, oa, m, om, into: &out) }
        if om != ob { refine(zone, m, om, b, ob, into: &out) }
    }

    // MARK: Candidates and matching

    private struct Candidate {
        var name: String
        var zone: OpaquePointer
    }

    private struct ProfileKey: Hashable {
        var candidate: Int
        var year: Int
    }

    /// Guarded by `Libical.lock`.
    private final class Cache: @unchecked Sendable {
        var candidates: [Candidate]?
        var tables: [Int: TzifZone?] = [:]
        var libicalProfiles: [ProfileKey: YearProfile] = [:]
        var zoneinfo: String??
    }

    private static let cache = Cache()

    /// libical's built-in zones plus UTC, sorted by name. Caller holds `Libical.lock`.
    private static func candidatesLocked() -> [Candidate] {
        if let c = cache.candidates { return c }
        var out: [Candidate] = []
        if let utc = icaltimezone_get_utc_timezone() { out.append(Candidate(name: "UTC", zone: utc)) }
        if let array = icaltimezone_get_builtin_timezones() {
            for i in 0..<array.pointee.num_elements {
                guard let raw = icalarray_element_at(array, i) else { continue }
                let zone = OpaquePointer(raw)
                guard let loc = icaltimezone_get_location(zone) else { continue }
                out.append(Candidate(name: String(cString: loc), zone: zone))
            }
        }
        out.sort { $0.name < $1.name }
        cache.candidates = out
        return out
    }

    /// The candidate zone names, sorted. Caller holds `Libical.lock`.
    static func candidateNames() -> [String] { candidatesLocked().map(\.name) }

    private static func table(_ index: Int, _ c: Candidate) -> TzifZone? {
        if let known = cache.tables[index] { return known }
        let table = c.name == "UTC" ? TzifZone.utc : loadTzif(named: c.name)
        cache.tables[index] = .some(table)
        return table
    }

    private static func matchLocked(_ custom: OpaquePointer, years: ClosedRange<Int>) -> [String] {
        let target = years.map { profile(custom, year: $0) }

        // Probe instants with the custom offset there: both sides of every transition first
        // (they tell different rules apart), then mid-January and mid-July of each year.
        var probes: [(at: Int, offset: Int32)] = []
        for p in target {
            var before = p.initial
            for t in p.transitions {
                probes.append((t.at - 1, before))
                probes.append((t.at, t.offset))
                before = t.offset
            }
        }
        for (year, p) in zip(years, target) {
            for day in [14, 195] {
                let at = startOfYear(year) + day * 86_400 + 43_200
                probes.append((at, p.transitions.last(where: { $0.at <= at })?.offset ?? p.initial))
            }
        }

        var matches: [String] = []
        for (index, c) in candidatesLocked().enumerated() {
            if let tz = table(index, c) {
                guard probes.allSatisfy({ probe in tz.offset(at: probe.at) == probe.offset }),
                      zip(years, target).allSatisfy({ year, p in tz.profile(year: year) == p })
                else { continue }
            } else {
                // No readable TZif file: ask libical's built-in zone, if it loads at all
                // (an unloadable zone reads as UTC).
                guard c.name != "UTC", icaltimezone_get_component(c.zone) != nil,
                      probes.allSatisfy({ offset(c.zone, at: $0.at) == $0.offset }),
                      zip(years, target).allSatisfy({ year, p in libicalProfile(index, c, year: year) == p })
                else { continue }
            }
            matches.append(c.name)
        }
        return matches
    }

    private static func libicalProfile(_ index: Int, _ c: Candidate, year: Int) -> YearProfile {
        let key = ProfileKey(candidate: index, year: year)
        if let p = cache.libicalProfiles[key] { return p }
        let p = profile(c.zone, year: year)
        cache.libicalProfiles[key] = p
        return p
    }

    // MARK: The system tz database

    /// The directory libical reads its built-in zones from. Caller holds `Libical.lock`.
    private static func zoneinfoDirectory() -> String? {
        if let known = cache.zoneinfo { return known }
        var found: String?
        if let env = getenv("TZDIR"), env.pointee != 0 {
            found = String(cString: env)
        } else {
            found = ["/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/etc/zoneinfo", "/usr/share/lib/zoneinfo"]
                .first { access($0 + "/zone.tab", R_OK) == 0 }
        }
        cache.zoneinfo = .some(found)
        return found
    }

    /// A zone from its TZif file in the zoneinfo directory, uncached. Caller holds `Libical.lock`.
    static func loadTzif(named name: String) -> TzifZone? {
        guard !name.contains(".."), let dir = zoneinfoDirectory(), let bytes = readFile(dir + "/" + name) else { return nil }
        return TzifZone(bytes)
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}
