#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibical
import CalendarModel

/// Parsing and component ownership on libical's C API (RecurrenceExpansion.swift and
/// ZoneMatcher.swift also call it, for rules and zones; nothing outside ICalendar does, and
/// every call holds `Libical.lock` where libical keeps shared state). Each `LibicalComponent` owns its
/// `icalcomponent` tree and frees it in `deinit`; properties borrowed from it are used only
/// while the owner is alive.
enum Libical {
    /// Set once: libical must report errors, never abort.
    static let setUp: Void = {
        icalerror_set_errors_are_fatal(0)
        // Built lazily by libical on first use (`icaltime_is_utc`, parsing `Z` times): build
        // it here, once, before any worker thread parses.
        _ = icaltimezone_get_utc_timezone()
    }()

    /// libical's own lazy caches (built-in zones, zone change tables) are not thread-safe.
    static let lock = Lock()

    /// The version of the libical that is loaded, which may be newer than the headers calport
    /// was built with. libical 3 has no call that reports it, so on Linux look for the file the
    /// loader mapped libical from: a shared object's real name carries the full version
    /// (`/usr/lib/x86_64-linux-gnu/libical.so.3.0.16` in /proc/self/maps). Elsewhere, or when
    /// libical is linked statically, the version of the headers.
    static var version: String {
        #if os(Linux)
        if let loaded = loadedVersion() { return loaded }
        #endif
        return "\(ICAL_MAJOR_VERSION).\(ICAL_MINOR_VERSION).\(ICAL_PATCH_VERSION)"
    }

    #if os(Linux)
    private static func loadedVersion() -> String? {
        guard let maps = fopen("/proc/self/maps", "r") else { return nil }
        defer { fclose(maps) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        let prefix = "libical.so."
        while getline(&line, &capacity, maps) > 0, let line {
            let text = String(cString: line)
            guard let file = text.split(separator: "/").last?.split(separator: "\n").first, file.hasPrefix(prefix) else { continue }
            let version = file.dropFirst(prefix.count)
            if version.split(separator: ".").count >= 2, version.allSatisfy({ $0.isNumber || $0 == "." }) {
                return String(version)
            }
        }
        return nil
    }
    #endif
}

final class LibicalComponent {
    let pointer: OpaquePointer

    /// Parses one component's text. nil when libical finds no component at all.
    init?(parsing text: String) {
        _ = Libical.setUp
        guard let p = text.withCString({ icalparser_parse_string($0) }) else { return nil }
        pointer = p
    }

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { icalcomponent_free(pointer) }

    var kindName: String { String(cString: icalcomponent_kind_to_string(icalcomponent_isa(pointer))) }

    /// The messages of libical's X-LIC-ERROR properties in this component and below.
    var errors: [String] {
        var out: [String] = []
        collectErrors(pointer, into: &out)
        return out
    }

    private func collectErrors(_ c: OpaquePointer, into out: inout [String]) {
        var p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY)
        while let prop = p {
            if let v = icalproperty_get_xlicerror(prop) { out.append(String(cString: v)) }
            p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)
        }
        var sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT)
        while let s = sub {
            collectErrors(s, into: &out)
            sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)
        }
    }

    /// The typed values calport reads through libical, per property, in source order.
    ///
    /// Thread-safe for distinct components: every getter here reads the parsed value only.
    /// (`icalproperty_get_exdate` would also look the TZID up in libical's built-in zone
    /// cache, which is not thread-safe, so EXDATE is read from its value; calport resolves
    /// TZIDs itself.)
    func typedValues() -> [TypedValue] {
        let comp = pointer
        var out: [TypedValue] = []
        var p = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY)
        while let prop = p {
            defer { p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY) }
            let tzid = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER).flatMap { icalparameter_get_tzid($0) }
                .map { String(cString: $0) }
            switch icalproperty_isa(prop) {
            case ICAL_DTSTART_PROPERTY: out.append(.dtstart(LibicalTime(icalproperty_get_dtstart(prop), tzid)))
            case ICAL_DTEND_PROPERTY: out.append(.dtend(LibicalTime(icalproperty_get_dtend(prop), tzid)))
            case ICAL_RECURRENCEID_PROPERTY:
                let range = icalproperty_get_first_parameter(prop, ICAL_RANGE_PARAMETER).map { icalparameter_get_range($0) }
                out.append(.recurrenceID(LibicalTime(icalproperty_get_recurrenceid(prop), tzid), thisAndFuture: range == ICAL_RANGE_THISANDFUTURE))
            case ICAL_DURATION_PROPERTY: out.append(.duration(ICalDuration(icalproperty_get_duration(prop))))
            case ICAL_CREATED_PROPERTY: out.append(.created(LibicalTime(icalproperty_get_created(prop), nil)))
            case ICAL_LASTMODIFIED_PROPERTY: out.append(.lastModified(LibicalTime(icalproperty_get_lastmodified(prop), nil)))
            case ICAL_DTSTAMP_PROPERTY: out.append(.timestamp(LibicalTime(icalproperty_get_dtstamp(prop), nil)))
            case ICAL_SEQUENCE_PROPERTY: out.append(.sequence(Int(icalproperty_get_sequence(prop))))
            case ICAL_PRIORITY_PROPERTY: out.append(.priority(Int(icalproperty_get_priority(prop))))
            case ICAL_EXDATE_PROPERTY: out.append(.exdate(LibicalTime(icalvalue_get_datetime(icalproperty_get_value(prop)), tzid)))
            case ICAL_RDATE_PROPERTY:
                let v = icalproperty_get_rdate(prop)
                if icalperiodtype_is_null_period(v.period) == 0 {
                    let start = LibicalTime(v.period.start, tzid)
                    if icaltime_is_null_time(v.period.end) == 0 {
                        out.append(.rdatePeriod(start, end: LibicalTime(v.period.end, tzid)))
                    } else {
                        out.append(.rdatePeriodDuration(start, ICalDuration(v.period.duration)))
                    }
                } else {
                    out.append(.rdate(LibicalTime(v.time, tzid)))
                }
            default: break
            }
        }
        return out
    }

    /// Serialises (libical's own writer); used for generated VTIMEZONEs only.
    var icalString: String {
        guard let s = icalcomponent_as_ical_string_r(pointer) else { return "" }
        defer { free(s) }
        return String(cString: s)
    }
}

/// A time value as libical parsed it, with the property's TZID parameter.
struct LibicalTime: Equatable {
    var year, month, day, hour, minute, second: Int
    var isDate: Bool
    var isUTC: Bool
    var tzid: String?

    init(_ t: icaltimetype, _ tzid: String?) {
        year = Int(t.year); month = Int(t.month); day = Int(t.day)
        hour = Int(t.hour); minute = Int(t.minute); second = Int(t.second)
        isDate = t.is_date != 0
        isUTC = icaltime_is_utc(t) != 0
        self.tzid = isUTC ? nil : tzid
    }

    var localDateTime: LocalDateTime { LocalDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second) }
    var isNull: Bool { year == 0 && month == 0 && day == 0 }
}

enum TypedValue: Equatable {
    case dtstart(LibicalTime), dtend(LibicalTime), recurrenceID(LibicalTime, thisAndFuture: Bool)
    case duration(ICalDuration)
    case created(LibicalTime), lastModified(LibicalTime), timestamp(LibicalTime)
    case sequence(Int), priority(Int)
    case exdate(LibicalTime), rdate(LibicalTime), rdatePeriod(LibicalTime, end: LibicalTime)
    case rdatePeriodDuration(LibicalTime, ICalDuration)
}

extension ICalDuration {
    init(_ d: icaldurationtype) {
        self.init(isNegative: d.is_neg != 0, weeks: Int(d.weeks), days: Int(d.days), hours: Int(d.hours),
                  minutes: Int(d.minutes), seconds: Int(d.seconds))
    }
}

/// A libical zone: from a VTIMEZONE in the input, or built from the system tz database.
final class LibicalZone: @unchecked Sendable {
    let pointer: OpaquePointer  // icaltimezone*
    private let owned: Bool

    /// Takes ownership of a parsed VTIMEZONE component.
    init?(vtimezone: LibicalComponent) {
        guard let z = icaltimezone_new() else { return nil }
        // icaltimezone_set_component takes the component; clone it so `vtimezone` keeps its own.
        guard let clone = icalcomponent_new_clone(vtimezone.pointer) else {
            icaltimezone_free(z, 1)
            return nil
        }
        // On failure (no TZID at the top, e.g. libical read two roots into an XROOT) the zone
        // did not take the clone: free it here, or every such VTIMEZONE leaks its tree.
        guard icaltimezone_set_component(z, clone) != 0 else {
            icalcomponent_free(clone)
            icaltimezone_free(z, 1)
            return nil
        }
        pointer = z
        owned = true
    }

    /// A zone from libical's built-in set (the system tz database on Debian). Never freed.
    init?(builtin name: String) {
        _ = Libical.setUp
        let z: OpaquePointer? = Libical.lock.withLock {
            name.withCString { icaltimezone_get_builtin_timezone($0) }
                ?? name.withCString { icaltimezone_get_builtin_timezone_from_tzid($0) }
        }
        guard let z else { return nil }
        pointer = z
        owned = false
    }

    deinit { if owned { icaltimezone_free(pointer, 1) } }

    /// Seconds east of UTC at a wall-clock time in this zone (RFC 5545 3.3.5 for times that
    /// occur twice or not at all; libical's own wall-time lookup picks the later occurrence).
    func utcOffset(at t: LocalDateTime) -> Int {
        Libical.lock.withLock { WallTime.utcOffset(wall: t.secondsSinceEpoch) { offsetLocked(atInstant: $0) } }
    }

    /// Seconds east of UTC at a UTC instant (seconds since the epoch).
    func utcOffset(atInstant instant: Int) -> Int {
        Libical.lock.withLock { offsetLocked(atInstant: instant) }
    }

    private func offsetLocked(atInstant instant: Int) -> Int {
        let l = LocalDateTime(secondsSinceEpoch: instant)
        var tt = icaltime_null_time()
        tt.year = Int32(l.date.year); tt.month = Int32(l.date.month); tt.day = Int32(l.date.day)
        tt.hour = Int32(l.hour); tt.minute = Int32(l.minute); tt.second = Int32(l.second)
        return Int(icaltimezone_get_utc_offset_of_utc_time(pointer, &tt, nil))
    }

    /// The zone's VTIMEZONE as libical writes it.
    var componentText: String? {
        Libical.lock.withLock {
            guard let c = icaltimezone_get_component(pointer), let s = icalcomponent_as_ical_string_r(c) else { return nil }
            defer { free(s) }
            return String(cString: s)
        }
    }
}

/// Public facts about the libical calport is linked against.
public enum ICalendarLibrary {
    public static var version: String { Libical.version }
}

/// A recurrence rule as libical's own parser reads it (`icalrecurrencetype_from_string`),
/// reduced to the facts calport checks before a rule may reach Google.
struct LibicalRule {
    /// libical's error, when it refused the rule (`icalerrno` after parsing).
    var error: String?
    /// A FREQ libical knows; false for a rule without one.
    var hasFrequency: Bool
    /// RFC 7529's RSCALE, which libical reads and Google does not.
    var rscale: String?
    /// BYMONTH values as libical stored them.
    var months: [Int]
    /// UNTIL's year, when the rule has an UNTIL.
    var untilYear: Int?

    init(parsing text: String) {
        _ = Libical.setUp
        // Parsing a UTC UNTIL touches libical's shared UTC zone: under the lock, as the expander does.
        (error, hasFrequency, rscale, months, untilYear) = Libical.lock.withLock {
            calport_icalerrno_clear()
            let r = text.withCString { icalrecurrencetype_from_string($0) }
            let e = calport_icalerrno()
            defer { free(r.rscale) }  // libical copies RSCALE's value for the caller
            var months: [Int] = []
            withUnsafeBytes(of: r.by_month) { raw in
                for v in raw.bindMemory(to: Int16.self) {
                    if v == Int16(truncatingIfNeeded: ICAL_RECURRENCE_ARRAY_MAX.rawValue) { break }
                    months.append(Int(v))
                }
            }
            return (e != ICAL_NO_ERROR ? String(cString: icalerror_strerror(e)) : nil,
                    r.freq != ICAL_NO_RECURRENCE,
                    r.rscale.map { String(cString: $0) },
                    months,
                    icaltime_is_null_time(r.until) == 0 ? Int(r.until.year) : nil)
        }
    }

    var isValid: Bool { error == nil && hasFrequency }
}
