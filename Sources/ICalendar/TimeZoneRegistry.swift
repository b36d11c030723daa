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

/// Resolves TZIDs: first against the VTIMEZONEs of the input, then against the system tz
/// database (its TZif files, else libical's built-in zones), by the name itself or the IANA
/// name `naming` gives for it.
///
/// Thread-safe: the reader registers zones on its thread while events are decoded on
/// others. Decoding on other threads goes through a `ZoneSnapshot`, which sees the input's
/// zones as they were when the event was read, so the result does not depend on timing.
final class TimeZoneRegistry: @unchecked Sendable {
    private let lock = Lock()
    private var fromInput: [String: LibicalZone] = [:]
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

    func register(_ definition: TimeZoneDefinition, zone: LibicalZone) {
        lock.withLock { fromInput[definition.tzid] = zone }
    }

    func zone(for tzid: String) -> ZoneOffsets? {
        if let z = lock.withLock({ fromInput[tzid] }) { return z }
        return systemZoneCached(tzid)
    }

    /// The input's zones as they are now (a copy-on-write value: cheap until the next VTIMEZONE).
    var inputZones: [String: LibicalZone] { lock.withLock { fromInput } }

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
    let inputZones: [String: LibicalZone]
    let registry: TimeZoneRegistry

    func zone(for tzid: String) -> ZoneOffsets? {
        if let z = inputZones[tzid] { return z }
        return registry.systemZoneCached(tzid)
    }

    func ianaEquivalent(of tzid: String, around year: Int) -> String? {
        guard let zone = inputZones[tzid] else { return registry.fallbackName(for: tzid) }
        return registry.ianaEquivalent(of: zone, tzid: tzid, around: year)
    }
}
