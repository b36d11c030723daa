import Foundation
import GoogleCalendar

/// Civil dates and instants for the fake, in milliseconds since 1970 UTC. Time zones go through
/// Foundation's `TimeZone` (the tz database).
enum FakeTime {
    struct CivilDate: Hashable, Comparable {
        var year: Int, month: Int, day: Int

        static func < (a: CivilDate, b: CivilDate) -> Bool { a.days < b.days }

        /// Days since 1970-01-01 (proleptic Gregorian).
        var days: Int { FakeTime.daysFromCivil(year, month, day) }
        init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }
        init(days: Int) { (year, month, day) = FakeTime.civilFromDays(days) }

        /// Monday 0 ... Sunday 6.
        var weekdayFromMonday: Int { ((days % 7) + 7 + 3) % 7 }

        var compact: String { String(format: "%04d%02d%02d", year, month, day) }
        var iso: String { String(format: "%04d-%02d-%02d", year, month, day) }

        static func days(inMonth month: Int, year: Int) -> Int {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        }

        var isValid: Bool { (1...12).contains(month) && day >= 1 && day <= Self.days(inMonth: month, year: year) }
    }

    struct WallTime: Hashable {
        var date: CivilDate
        var hour: Int, minute: Int, second: Int
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    // MARK: - Parsing

    private static func digits(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from >= 0, from + count <= b.count else { return nil }
        var n = 0
        for c in b[from..<(from + count)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            n = n * 10 + Int(c - UInt8(ascii: "0"))
        }
        return n
    }

    /// `YYYY-MM-DD`.
    static func parseDate(_ s: String) -> CivilDate? {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        let date = CivilDate(year: y, month: m, day: d)
        return date.isValid ? date : nil
    }

    /// RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`: the wall time and the offset in seconds
    /// (nil when the value has none).
    static func parseDateTime(_ s: String) -> (wall: WallTime, millis: Int, offset: Int?)? {
        let b = Array(s.utf8)
        guard b.count >= 19, let date = parseDate(String(decoding: b[0..<10], as: UTF8.self)),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let sec = digits(b, 17, 2),
              h <= 23, mi <= 59, sec <= 60 else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) {
                millis += Int(b[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        let wall = WallTime(date: date, hour: h, minute: mi, second: min(sec, 59))
        if i == b.count { return (wall, millis, nil) }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count ? (wall, millis, 0) : nil }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
              let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2), oh <= 23, om <= 59 else { return nil }
        let offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        return (wall, millis, offset)
    }

    /// An RFC 3339 instant with a mandatory offset, in milliseconds.
    static func parseInstant(_ s: String) -> Int64? {
        guard let (wall, millis, offset) = parseDateTime(s), let offset else { return nil }
        return utcMillis(of: wall) - Int64(offset) * 1000 + Int64(millis)
    }

    /// iCalendar `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
    static func parseICal(_ s: String) -> (date: CivilDate, time: (Int, Int, Int)?, utc: Bool)? {
        let b = Array(s.utf8)
        guard b.count >= 8, let y = digits(b, 0, 4), let m = digits(b, 4, 2), let d = digits(b, 6, 2) else { return nil }
        let date = CivilDate(year: y, month: m, day: d)
        guard date.isValid else { return nil }
        if b.count == 8 { return (date, nil, false) }
        guard b.count >= 15, b[8] == UInt8(ascii: "T"), let h = digits(b, 9, 2), let mi = digits(b, 11, 2),
              let sec = digits(b, 13, 2), h <= 23, mi <= 59, sec <= 60 else { return nil }
        let utc = b.count == 16 && b[15] == UInt8(ascii: "Z")
        guard b.count == 15 || utc else { return nil }
        return (date, (h, mi, min(sec, 59)), utc)
    }

    static func utcMillis(of wall: WallTime) -> Int64 {
        Int64(wall.date.days) * 86_400_000 + Int64(wall.hour * 3600 + wall.minute * 60 + wall.second) * 1000
    }

    /// The instant of a wall time in `zone`. In a gap (spring forward) the time is moved forward
    /// by the gap; in an overlap the earlier instant is taken (RFC 5545 §3.3.5).
    static func instant(of wall: WallTime, in zone: TimeZone) -> Int64 {
        let local = utcMillis(of: wall)
        // Try the offsets in force around the local time; keep the earliest that maps back.
        let probes = [local - 86_400_000, local, local + 86_400_000]
        var candidates: [Int64] = []
        for probe in probes {
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe) / 1000))) * 1000
            let guess = local - offset
            let back = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(guess) / 1000))) * 1000
            if guess + back == local { candidates.append(guess) }
        }
        if let earliest = candidates.min() { return earliest }
        // A gap: use the offset before the transition.
        let before = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - 86_400_000) / 1000))) * 1000
        return local - before
    }

    /// The wall time of `millis` in `zone`, and the offset in seconds.
    static func wall(of millis: Int64, in zone: TimeZone) -> (WallTime, Int) {
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))
        return (wallUTC(millis + Int64(offset) * 1000), offset)
    }

    static func wallUTC(_ millis: Int64) -> WallTime {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let rest = Int(seconds - Int64(days) * 86400)
        return WallTime(date: CivilDate(days: days), hour: rest / 3600, minute: rest / 60 % 60, second: rest % 60)
    }

    // MARK: - Formatting

    /// `2026-01-05T09:00:00.123Z`.
    static func rfc3339UTC(millis: Int64) -> String {
        let w = wallUTC(millis)
        let ms = Int(((millis % 1000) + 1000) % 1000)
        return w.date.iso + String(format: "T%02d:%02d:%02d.%03dZ", w.hour, w.minute, w.second, ms)
    }

    /// `2026-01-05T10:00:00+01:00` in `zone`.
    static func rfc3339(millis: Int64, in zone: TimeZone) -> String {
        let (w, offset) = wall(of: millis, in: zone)
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        if offset == 0 { return w.date.iso + String(format: "T%02d:%02d:%02dZ", w.hour, w.minute, w.second) }
        return w.date.iso + String(format: "T%02d:%02d:%02d", w.hour, w.minute, w.second) + sign + String(format: "%02d:%02d", a / 3600, a / 60 % 60)
    }

    /// `20260105T090000Z`, as in instance ids.
    static func compactUTC(millis: Int64) -> String {
        let w = wallUTC(millis)
        return w.date.compact + String(format: "T%02d%02d%02dZ", w.hour, w.minute, w.second)
    }
}

/// The start or end of an event, resolved.
struct EventTimeValue: Equatable {
    /// All-day: the date; timed: nil.
    var date: FakeTime.CivilDate?
    /// Timed: the instant; all-day: the start of the date in the calendar's zone.
    var millis: Int64
    /// The IANA zone named by the EventDateTime, if any.
    var zoneName: String?

    var isAllDay: Bool { date != nil }

    /// Resolves an EventDateTime object; nil when it is malformed or names an unknown zone
    /// without an offset to fall back on.
    init?(_ json: JSONValue?, calendarZone: TimeZone) {
        guard let o = json?.objectValue else { return nil }
        zoneName = o["timeZone"]?.stringValue
        if let d = o["date"]?.stringValue {
            guard o["dateTime"] == nil, let civil = FakeTime.parseDate(d) else { return nil }
            date = civil
            millis = FakeTime.instant(of: .init(date: civil, hour: 0, minute: 0, second: 0), in: calendarZone)
        } else if let dt = o["dateTime"]?.stringValue, let (wall, ms, offset) = FakeTime.parseDateTime(dt) {
            date = nil
            if let offset {
                millis = FakeTime.utcMillis(of: wall) - Int64(offset) * 1000 + Int64(ms)
            } else if let name = zoneName, let zone = TimeZone(identifier: name) {
                millis = FakeTime.instant(of: wall, in: zone) + Int64(ms)
            } else {
                return nil
            }
        } else {
            return nil
        }
    }

    /// `YYYYMMDD` or `YYYYMMDDTHHMMSSZ`, the suffix of an instance id.
    var idStamp: String { date?.compact ?? FakeTime.compactUTC(millis: millis) }
}
