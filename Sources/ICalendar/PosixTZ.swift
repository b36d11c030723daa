#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel

/// A POSIX TZ rule as TZif footers write it: `CET-1CEST,M3.5.0,M10.5.0/3`, `<+0530>-5:30`,
/// `IST-2IDT,M3.4.4/26,M10.5.0` (RFC 8536 §3.3: hours up to ±167, rule dates Mm.w.d, Jn, n).
struct PosixTZ: Equatable {
    enum Day: Equatable {
        case monthWeekDay(month: Int, week: Int, weekday: Int)  // Mm.w.d, week 5 = last
        case julianNoLeap(Int)                                  // Jn, 1...365, Feb 29 not counted
        case zeroBased(Int)                                     // n, 0...365
    }

    var std: Int32                                      // seconds east of UTC
    var dst: Int32?
    var start = Day.zeroBased(0), startTime = 7200      // local standard time
    var end = Day.zeroBased(0), endTime = 7200          // local daylight time

    init(std: Int32) { self.std = std }

    init?<C: Collection>(_ text: C) where C.Element == UInt8 {
        var s = Array(text)[...]
        func name() -> Bool {
            if s.first == 60 {  // <...>
                guard let close = s.firstIndex(of: 62) else { return false }
                s = s[(close + 1)...]
                return true
            }
            let n = s.prefix { ($0 | 32) >= 97 && ($0 | 32) <= 122 }.count
            s = s.dropFirst(n)
            return n >= 3
        }
        func number() -> Int? {
            let digits = s.prefix { $0 >= 48 && $0 <= 57 }
            guard !digits.isEmpty, digits.count <= 3 else { return nil }
            s = s.dropFirst(digits.count)
            return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        func time() -> Int? {  // [+-]hh[:mm[:ss]]
            var sign = 1
            if s.first == 43 || s.first == 45 { sign = s.first == 45 ? -1 : 1; s = s.dropFirst() }
            guard let h = number(), h <= 167 else { return nil }
            var v = h * 3600
            for scale in [60, 1] where s.first == 58 {
                s = s.dropFirst()
                guard let m = number(), m < 60 else { return nil }
                v += m * scale
            }
            return sign * v
        }
        func day() -> Day? {
            if s.first == 77 {  // Mm.w.d
                s = s.dropFirst()
                guard let m = number(), (1...12).contains(m), s.popFirst() == 46,
                      let w = number(), (1...5).contains(w), s.popFirst() == 46,
                      let d = number(), (0...6).contains(d) else { return nil }
                return .monthWeekDay(month: m, week: w, weekday: d)
            }
            if s.first == 74 {  // Jn
                s = s.dropFirst()
                guard let n = number(), (1...365).contains(n) else { return nil }
                return .julianNoLeap(n)
            }
            guard let n = number(), (0...365).contains(n) else { return nil }
            return .zeroBased(n)
        }
        func dayAndTime() -> (Day, Int)? {
            guard let d = day() else { return nil }
            guard s.first == 47 else { return (d, 7200) }
            s = s.dropFirst()
            guard let t = time() else { return nil }
            return (d, t)
        }

        guard name(), let stdWest = time() else { return nil }
        std = Int32(-stdWest)
        if s.isEmpty { return }
        guard name() else { return nil }
        if let c = s.first, c != 44 {
            guard let dstWest = time() else { return nil }
            dst = Int32(-dstWest)
        } else {
            dst = std + 3600
        }
        // A DST name without rules would mean POSIX's implementation-defined default; refuse.
        guard s.popFirst() == 44, let a = dayAndTime(), s.popFirst() == 44, let b = dayAndTime(), s.isEmpty else { return nil }
        (start, startTime) = a
        (end, endTime) = b
    }

    /// Days since the epoch of a rule date in `year`.
    private static func days(_ d: Day, year: Int) -> Int {
        let jan1 = LocalDate(year: year, month: 1, day: 1).daysSinceEpoch
        switch d {
        case .zeroBased(let n):
            return jan1 + n
        case .julianNoLeap(let n):
            let leap = LocalDate.daysIn(month: 2, year: year) == 29
            return jan1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .monthWeekDay(let month, let week, let weekday):
            let first = LocalDate(year: year, month: month, day: 1).daysSinceEpoch
            let firstWeekday = ((first % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
            var day = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            while day > LocalDate.daysIn(month: month, year: year) { day -= 7 }
            return first + day - 1
        }
    }

    /// The rule's changes in `year`, as (UTC instant, offset from then on), in time order.
    private func events(year: Int) -> [(at: Int, offset: Int32)] {
        guard let dst else { return [] }
        let on = Self.days(start, year: year) * 86_400 + startTime - Int(std)
        let off = Self.days(end, year: year) * 86_400 + endTime - Int(dst)
        return on <= off ? [(on, dst), (off, std)] : [(off, std), (on, dst)]
    }

    /// UTC instants at which the rule changes the offset in `year` (by its own dates, unfiltered).
    func changes(year: Int) -> [Int] { events(year: year).map(\.at) }

    func offset(at t: Int) -> Int32 {
        guard dst != nil else { return std }
        let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
        let year = LocalDate(daysSinceEpoch: days).year
        var current: Int32 = std
        for y in (year - 1)...(year + 1) {
            for e in events(year: y) where e.at <= t { current = e.offset }
        }
        return current
    }
}
