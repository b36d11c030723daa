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

/// A VTIMEZONE from the input that names an IANA zone, by its TZID (`Europe/Berlin`, a vendor
/// path) or X-LIC-LOCATION. Web feeds and WordPress plugins write such a VTIMEZONE with only
/// the last two or three transitions; libical gives every time before or after them the
/// offset at the edge, an hour off for half of the year, beside a `timeZone` that says
/// otherwise. So the VTIMEZONE decides only within the span its observances cover (from the
/// first onset to the last, or on for ever when a rule has no end); outside it, the IANA zone.
/// Where the two disagree inside the span, the VTIMEZONE is followed and the event decoder
/// reports it (`ianaOffset`).
final class DeclaredZone: ZoneOffsets {
    let vtimezone: LibicalZone
    let ianaName: String
    let iana: TzifZone
    /// UTC instants (seconds since the epoch) the observances cover.
    let span: ClosedRange<Int>

    init(vtimezone: LibicalZone, ianaName: String, iana: TzifZone, span: ClosedRange<Int>) {
        self.vtimezone = vtimezone; self.ianaName = ianaName; self.iana = iana; self.span = span
    }

    func utcOffset(at local: LocalDateTime) -> Int {
        WallTime.utcOffset(wall: local.secondsSinceEpoch) { t in
            span.contains(t) ? vtimezone.utcOffset(atInstant: t) : Int(iana.offset(at: t))
        }
    }

    /// The IANA zone's offset at a wall time.
    func ianaOffset(at local: LocalDateTime) -> Int {
        WallTime.utcOffset(wall: local.secondsSinceEpoch) { Int(iana.offset(at: $0)) }
    }

    /// The IANA zone a VTIMEZONE names and the span it covers; nil when it names none the tz
    /// database has, or its observances cannot be read.
    static func declared(by tree: RawComponent, tzid: String, zone: LibicalZone) -> DeclaredZone? {
        let location = tree.properties.first { $0.name == "X-LIC-LOCATION" }.map { ICalText.unescape($0.value).trimmingSpaces() }
        for name in [tzid, TimeZoneRegistry.ianaSuffix(of: tzid), location].compactMap({ $0 }) where !name.hasPrefix("/") {
            guard let tzif = Libical.lock.withLock({ ZoneMatcher.loadTzif(named: name) }),
                  let span = span(of: tree) else { continue }
            return DeclaredZone(vtimezone: zone, ianaName: name, iana: tzif, span: span)
        }
        return nil
    }

    /// From the first onset of any observance to the last (Int.max when a rule has no UNTIL
    /// or COUNT). Onsets are local times in the offset before them (RFC 5545 3.6.5).
    static func span(of tree: RawComponent) -> ClosedRange<Int>? {
        var first = Int.max, last = Int.min
        for o in tree.children where o.name == "STANDARD" || o.name == "DAYLIGHT" {
            guard let from = o.properties.first(where: { $0.name == "TZOFFSETFROM" }).flatMap({ offsetSeconds($0.value) }),
                  let start = o.properties.first(where: { $0.name == "DTSTART" }).flatMap({ EventTime(icalValue: $0.value, tzid: nil) })
            else { return nil }
            func instant(_ t: EventTime) -> Int {
                if case .utc(let l) = t { return l.secondsSinceEpoch }
                return t.localDateTime.secondsSinceEpoch - from
            }
            let onset = instant(start)
            first = min(first, onset)
            last = max(last, onset)
            for p in o.properties where p.name == "RDATE" {
                for v in p.value.split(separator: ",") {
                    if let t = EventTime(icalValue: String(v.split(separator: "/").first ?? v), tzid: nil) { last = max(last, instant(t)) }
                }
            }
            for p in o.properties where p.name == "RRULE" {
                var parts: [String: String] = [:]
                for kv in p.value.uppercased().split(separator: ";") {
                    let pair = kv.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { parts[String(pair[0])] = String(pair[1]) }
                }
                if let until = parts["UNTIL"].flatMap({ EventTime(icalValue: $0, tzid: nil) }) {
                    last = max(last, instant(until))
                } else if let count = parts["COUNT"].flatMap(Int.init), parts["FREQ"] == "YEARLY" {
                    // The last of `count` yearly onsets falls in this year at the latest.
                    let interval = parts["INTERVAL"].flatMap(Int.init) ?? 1
                    let endYear = start.localDateTime.date.year + max(0, count - 1) * max(1, interval)
                    last = max(last, LocalDate(year: endYear + 1, month: 1, day: 1).daysSinceEpoch * 86_400)
                } else {
                    last = Int.max
                }
            }
        }
        return first <= last ? first...last : nil
    }

    /// `+0100`, `-0530`, `+013045` in seconds east of UTC.
    static func offsetSeconds(_ s: String) -> Int? {
        let u = Array(s.trimmingSpaces().utf8)
        guard u.count == 5 || u.count == 7, u[0] == UInt8(ascii: "+") || u[0] == UInt8(ascii: "-"),
              u.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func n(_ i: Int) -> Int { Int(u[i] - 48) * 10 + Int(u[i + 1] - 48) }
        let v = n(1) * 3600 + n(3) * 60 + (u.count == 7 ? n(5) : 0)
        return u[0] == UInt8(ascii: "-") ? -v : v
    }
}

/// How a TZID that is neither defined by the input nor a tz database name is resolved. The
/// names calport knows for zones (Windows names, Outlook's display names, `GMT+0100`) are kept
/// on the Google side, where Google's need for IANA names puts them; the caller passes them in.
public struct ZoneNaming: Sendable {
    /// The IANA name a TZID stands for, or nil.
    public var ianaName: @Sendable (String) -> String?
    /// The zone for times in a TZID nobody can resolve (the user's `--default-tz`); nil
    /// leaves such times without an offset.
    public var fallback: String?

    public init(ianaName: @escaping @Sendable (String) -> String? = { _ in nil }, fallback: String? = nil) {
        self.ianaName = ianaName
        self.fallback = fallback
    }
}

/// A VTIMEZONE of the input: its libical zone, and the IANA zone it names when it names one.
struct InputZone {
    let libical: LibicalZone
    let declared: DeclaredZone?

    /// What times in this zone resolve against.
    var offsets: ZoneOffsets { declared ?? libical }
}

/// Resolves TZIDs: first against the VTIMEZONEs of the input, then against the system tz
/// database (its TZif files, else libical's built-in zones), by the name itself or the IANA
/// name `naming` gives for it.
///
/// Thread-safe: the reader registers zones on its thread while events are decoded on
/// others. Decoding on other threads goes through a `ZoneSnapshot`, which sees the input's
/// zones as they were when the event was read, so the result does not depend on timing.
final class TimeZoneRegistry: @unchecked Sendable {
    private let lock = Lock()
    private var fromInput: [String: InputZone] = [:]
    private var builtin: [String: ZoneOffsets?] = [:]
    private var equivalentsByYear: [ZoneYear: String?] = [:]
    private var reportedUnknown: Set<String> = []
    let naming: ZoneNaming
    /// The zone of `naming.fallback`, once looked up.
    let fallbackZone: ZoneOffsets?

    init(naming: ZoneNaming = ZoneNaming()) {
        self.naming = naming
        fallbackZone = naming.fallback.flatMap(TimeZoneRegistry.systemZone)
    }

    private struct ZoneYear: Hashable {
        var zone: ObjectIdentifier
        var tzid: String
        var year: Int
    }

    func register(_ definition: TimeZoneDefinition, zone: InputZone) {
        lock.withLock { fromInput[definition.tzid] = zone }
    }

    func zone(for tzid: String) -> ZoneOffsets? {
        if let z = lock.withLock({ fromInput[tzid] }) { return z.offsets }
        return systemZoneCached(tzid)
    }

    /// The input's zones as they are now (a copy-on-write value: cheap until the next VTIMEZONE).
    var inputZones: [String: InputZone] { lock.withLock { fromInput } }

    /// A tz database zone, looked up once per TZID.
    func systemZoneCached(_ tzid: String) -> ZoneOffsets? {
        if let cached = lock.withLock({ builtin[tzid] }) { return cached }
        let z = TimeZoneRegistry.systemZone(tzid) ?? TimeZoneRegistry.ianaSuffix(of: tzid).flatMap(TimeZoneRegistry.systemZone)
            ?? naming.ianaName(tzid).flatMap(TimeZoneRegistry.systemZone)
        return lock.withLock {
            // Another thread may have looked it up meanwhile: keep the first, so every caller
            // shares one object.
            if let cached = builtin[tzid] { return cached }
            builtin[tzid] = z
            return z
        }
    }

    static func systemZone(_ name: String) -> ZoneOffsets? {
        if !name.hasPrefix("/"), let tzif = Libical.lock.withLock({ ZoneMatcher.loadTzif(named: name) }) {
            return TzifZoneOffsets(tzif)
        }
        return LibicalZone(builtin: name)
    }

    /// The IANA zone whose offsets and transitions equal those of a VTIMEZONE from the
    /// input with a name that is not an IANA name, over the years around `year`; for a TZID
    /// with no VTIMEZONE that nothing resolves, the fallback zone its times were placed in.
    func ianaEquivalent(of tzid: String, around year: Int) -> String? {
        guard let zone = lock.withLock({ fromInput[tzid] }) else { return fallbackName(for: tzid) }
        return ianaEquivalent(of: zone, tzid: tzid, around: year)
    }

    /// For an input zone: the IANA zone it declares (times that disagree with it are reported
    /// by the decoder, and the Google mapping checks each offset against it), else a match.
    func ianaEquivalent(of zone: InputZone, tzid: String, around year: Int) -> String? {
        if let declared = zone.declared { return declared.ianaName }
        return ianaEquivalent(of: zone.libical, tzid: tzid, around: year)
    }

    /// `naming.fallback` when `tzid` (not defined by the input) resolves to no zone.
    func fallbackName(for tzid: String) -> String? {
        guard fallbackZone != nil, systemZoneCached(tzid) == nil else { return nil }
        return naming.fallback
    }

    /// As `ianaEquivalent(of:around:)` for a given zone object, cached per zone and year, so
    /// the answer does not depend on which event asked first.
    func ianaEquivalent(of zone: LibicalZone, tzid: String, around year: Int) -> String? {
        let key = ZoneYear(zone: ObjectIdentifier(zone), tzid: tzid, year: year)
        if let known = lock.withLock({ equivalentsByYear[key] }) { return known }
        let match = ZoneMatcher.ianaEquivalent(of: zone, tzid: tzid, years: (year - 1)...(year + 1))
        lock.withLock { equivalentsByYear[key] = .some(match) }
        return match
    }

    /// True the first time an unknown TZID is asked about, so it is reported once.
    func firstReportOfUnknown(_ tzid: String) -> Bool { lock.withLock { reportedUnknown.insert(tzid).inserted } }

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

/// The zones an event is resolved against: the input's VTIMEZONEs as they were when the
/// event was read, then the tz database.
struct ZoneSnapshot: @unchecked Sendable {
    let inputZones: [String: InputZone]
    let registry: TimeZoneRegistry

    func zone(for tzid: String) -> ZoneOffsets? {
        if let z = inputZones[tzid] { return z.offsets }
        return registry.systemZoneCached(tzid)
    }

    func ianaEquivalent(of tzid: String, around year: Int) -> String? {
        guard let zone = inputZones[tzid] else { return registry.fallbackName(for: tzid) }
        return registry.ianaEquivalent(of: zone, tzid: tzid, around: year)
    }
}
