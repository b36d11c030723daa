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
}

/// A value behind a lock, for caches shared across threads.
final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = Lock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
}
