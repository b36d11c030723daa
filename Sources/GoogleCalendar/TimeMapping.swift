import CalendarModel
import Foundation

/// Conversions between iCalendar times and Google's EventDateTime, using the tz database
/// (Foundation's TimeZone) for IANA zone names.
enum GoogleTime {
    /// Seconds east of UTC at a wall-clock time in an IANA zone (RFC 5545 3.3.5 rules).
    static func offset(_ tz: TimeZone, at local: LocalDateTime) -> Int {
        if let table = ZoneOffsets.of(tz) {
            return WallTime.utcOffset(wall: local.secondsSinceEpoch) { table.offset(atInstant: $0) }
        }
        return WallTime.utcOffset(wall: local.secondsSinceEpoch) { tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0))) }
    }

    /// Seconds east of UTC at an instant (seconds since the epoch) in `tz`: what
    /// `tz.secondsFromGMT(for:)` gives, from the zone's table once it has one.
    static func offset(_ tz: TimeZone, atInstant t: Int) -> Int {
        ZoneOffsets.of(tz)?.offset(atInstant: t) ?? tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
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

    /// `l.extendedFormat + offsetString(offset)` (`2025-03-09T02:30:00-05:00`), written into one
    /// String: joined, the two parts were an allocation each for every time of every event.
    static func dateTime(_ l: LocalDateTime, offset: Int) -> String {
        let d = l.date, a = abs(offset), h = a / 3600, m = a % 3600 / 60
        guard (0...9999).contains(d.year), (0...99).contains(d.month), (0...99).contains(d.day), (0...99).contains(l.hour),
              (0...99).contains(l.minute), (0...99).contains(l.second), h <= 99 else {
            return l.extendedFormat + offsetString(offset)
        }
        return String(unsafeUninitializedCapacity: offset == 0 ? 20 : 25) { out in
            func put(_ n: Int, _ width: Int, at i: Int) {
                var n = n
                for k in stride(from: width - 1, through: 0, by: -1) {
                    out[i + k] = 0x30 + UInt8(n % 10)
                    n /= 10
                }
            }
            put(d.year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(d.month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(d.day, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(l.hour, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(l.minute, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(l.second, 2, at: 17)
            if offset == 0 {
                out[19] = UInt8(ascii: "Z")
                return 20
            }
            out[19] = offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            put(h, 2, at: 20)
            out[22] = UInt8(ascii: ":")
            put(m, 2, at: 23)
            return 25
        }
    }

    /// `+hh:mm`, or `Z` for zero.
    static func offsetString(_ seconds: Int) -> String {
        if seconds == 0 { return "Z" }
        let a = abs(seconds)
        let h = a / 3600, m = a % 3600 / 60
        return (seconds < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }
}

/// A zone's UTC offsets as the instants where they change, read once from Foundation's tz
/// database for 1900 to 2100 and looked up by binary search. Each wall time took four
/// `TimeZone.secondsFromGMT` calls (`WallTime.utcOffset`), every one through ICU and its lock:
/// 3% of an .ics → NDJSON conversion, for a few dozen distinct zones. Instants outside the
/// table's years are asked of Foundation as before.
final class ZoneOffsets: Sendable {
    /// 1900-01-01T00:00:00Z and 2100-01-01T00:00:00Z: the years nearly every calendar is in.
    static let tableStart = -2_208_988_800, tableEnd = 4_102_444_800
    /// Offsets Foundation gives for a zone before its table is made. Making one costs about
    /// as much as the next 4,000 wall times asked of Foundation would (callgrind: 10.4 million
    /// instructions for New York, where ICU builds the zone's transition rules first, against
    /// 700 for each `secondsFromGMT` and four of those for a wall time). Waiting that long,
    /// a conversion spends at most about twice what Foundation alone would cost it.
    static let askedBeforeTable = 4096

    let timeZone: TimeZone
    /// `starts[i]` is the first second with `offsets[i]`; `starts[0]` is `tableStart`.
    private let starts: [Int]
    private let offsets: [Int32]

    init(_ tz: TimeZone) {
        timeZone = tz
        var starts = [Self.tableStart]
        var offsets = [Int32(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.tableStart))))]
        var after = Date(timeIntervalSince1970: Double(Self.tableStart))
        // Foundation names every change of offset, daylight saving or not (the tests compare
        // the table with `secondsFromGMT` in every zone it knows). A change at a fraction of
        // a second applies from the next whole second, the first one `secondsFromGMT` gives
        // the new offset for.
        while let next = tz.nextDaylightSavingTimeTransition(after: after), next.timeIntervalSince1970 < Double(Self.tableEnd) {
            let start = Int(next.timeIntervalSince1970.rounded(.up))
            let offset = Int32(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(start))))
            if start > starts[starts.count - 1] {
                if offset != offsets[offsets.count - 1] {
                    starts.append(start)
                    offsets.append(offset)
                }
            }
            after = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    func offset(atInstant t: Int) -> Int {
        guard t >= Self.tableStart, t < Self.tableEnd else {
            return timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))
        }
        // The last start at or before t.
        var low = 0, high = starts.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if starts[mid] <= t { low = mid } else { high = mid }
        }
        return Int(offsets[low])
    }

    /// The table of `tz`, by identifier (which names the rules); nil for its first
    /// `askedBeforeTable` uses, which Foundation answers.
    static func of(_ tz: TimeZone) -> ZoneOffsets? {
        let id = tz.identifier
        return cache.withLock {
            switch $0[id] {
            case .made(let t)?:
                return t
            case .asked(let n)? where n < askedBeforeTable:
                $0[id] = .asked(n + 1)
                return nil
            case .asked?:
                let t = ZoneOffsets(tz)
                $0[id] = .made(t)
                return t
            case nil:
                $0[id] = .asked(1)
                return nil
            }
        }
    }

    private enum Use { case asked(Int), made(ZoneOffsets) }
    private static let cache = LockedBox<[String: Use]>([:])
}

/// A value behind a lock, for caches shared across threads.
final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = Lock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
}
