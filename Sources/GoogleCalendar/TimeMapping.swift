import CalendarModel
import Foundation

/// Conversions between iCalendar times and Google's EventDateTime, using the tz database
/// (Foundation's TimeZone) for IANA zone names.
enum GoogleTime {
    /// Seconds east of UTC at a wall-clock time in an IANA zone (RFC 5545 3.3.5 rules).
    static func offset(_ tz: TimeZone, at local: LocalDateTime) -> Int {
        WallTime.utcOffset(wall: local.secondsSinceEpoch) { tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0))) }
    }

    static func zone(_ name: String) -> TimeZone? {
        zoneCache.withLock {
            if let z = $0[name] { return z }
            let z = TimeZone(identifier: name)
            $0[name] = z
            return z
        }
    }

    private static let zoneCache = LockedBox<[String: TimeZone?]>([:])

    /// `+hh:mm`, or `Z` for zero.
    static func offsetString(_ seconds: Int) -> String {
        if seconds == 0 { return "Z" }
        let a = abs(seconds)
        let h = a / 3600, m = a % 3600 / 60
        return (seconds < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    /// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fff](Z|±hh:mm)?`; the offset is nil when absent.
    static func parseDateTime(_ s: String) -> (LocalDateTime, offset: Int?)? {
        let u = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            var n = 0
            for i in r {
                guard u[i] >= 0x30, u[i] <= 0x39 else { return nil }
                n = n * 10 + Int(u[i] - 0x30)
            }
            return n
        }
        guard u.count >= 19, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x74, u[13] == 0x3A, u[16] == 0x3A,
              let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10),
              let h = num(11..<13), let mi = num(14..<16), let sec = num(17..<19)
        else { return nil }
        let t = LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: sec)
        guard t.isValid else { return nil }
        var i = 19
        if i < u.count, u[i] == 0x2E {  // fractional seconds: ignored
            i += 1
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
        }
        if i == u.count { return (t, nil) }
        if u[i] == 0x5A || u[i] == 0x7A { return i + 1 == u.count ? (t, 0) : nil }
        guard u[i] == 0x2B || u[i] == 0x2D, u.count == i + 6, u[i + 3] == 0x3A,
              let oh = num((i + 1)..<(i + 3)), let om = num((i + 4)..<(i + 6))
        else { return nil }
        return (t, (u[i] == 0x2D ? -1 : 1) * (oh * 3600 + om * 60))
    }

    static func parseDate(_ s: String) -> LocalDate? {
        let parts = s.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        let date = LocalDate(year: y, month: m, day: d)
        return date.isValid ? date : nil
    }
}

/// A value behind a lock, for caches shared across threads.
final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = Lock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
}
