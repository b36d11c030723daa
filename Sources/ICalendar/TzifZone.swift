#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel

/// A zone as its TZif file (RFC 8536) describes it: a table of transitions (64-bit data when
/// present) and, after the last one, the POSIX TZ rule of the footer.
struct TzifZone {
    var times: [Int64]       // transition instants, ascending
    var offsets: [Int32]     // offset from times[i] on
    var initial: Int32       // offset before times[0] (local time type 0)
    var rule: PosixTZ        // the footer, in force after the last transition

    static let utc = TzifZone(times: [], offsets: [], initial: 0, rule: PosixTZ(std: 0))

    init(times: [Int64], offsets: [Int32], initial: Int32, rule: PosixTZ) {
        self.times = times; self.offsets = offsets; self.initial = initial; self.rule = rule
    }

    /// Reads a version 2+ TZif file; nil for anything else or when the footer is not understood.
    init?(_ d: [UInt8]) {
        func magic(_ at: Int) -> Bool { d.count >= at + 44 && d[at] == 84 && d[at + 1] == 90 && d[at + 2] == 105 && d[at + 3] == 102 }
        func be(_ at: Int, _ n: Int) -> Int64 {
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(d[at + k]) }
            return n == 4 ? Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: v))) : Int64(bitPattern: v)
        }
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
        func counts(_ at: Int) -> [Int] { (0..<6).map { Int(UInt32(truncatingIfNeeded: be(at + 20 + 4 * $0, 4))) } }
        guard magic(0), d[4] >= 0x32 else { return nil }
        var c = counts(0)
        let second = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]
        guard magic(second) else { return nil }
        c = counts(second)
        let (timecnt, typecnt) = (c[3], c[4])
        let pos = second + 44, idx = pos + timecnt * 8, types = idx + timecnt
        let end = types + typecnt * 6 + c[5] + c[2] * 12 + c[1] + c[0]
        guard typecnt > 0, d.count > end, d[end] == 10 else { return nil }
        func utoff(_ type: Int) -> Int32 { Int32(truncatingIfNeeded: be(types + type * 6, 4)) }
        var times: [Int64] = [], offsets: [Int32] = []
        times.reserveCapacity(timecnt); offsets.reserveCapacity(timecnt)
        for i in 0..<timecnt {
            let type = Int(d[idx + i])
            guard type < typecnt else { return nil }
            times.append(be(pos + i * 8, 8))
            offsets.append(utoff(type))
        }
        let footer = d[(end + 1)...].prefix { $0 != 10 }
        guard let rule = PosixTZ(footer) else { return nil }
        self.init(times: times, offsets: offsets, initial: utoff(0), rule: rule)
    }

    func offset(at t: Int) -> Int32 {
        let t64 = Int64(t)
        guard let last = times.last else { return rule.offset(at: t) }
        if t64 > last { return rule.offset(at: t) }
        var lo = 0, hi = times.count  // the first index with times[i] > t
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= t64 { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? initial : offsets[lo - 1]
    }

    func profile(year: Int) -> ZoneMatcher.YearProfile {
        let start = ZoneMatcher.startOfYear(year), last = ZoneMatcher.startOfYear(year + 1) - 1
        let initial = offset(at: start)
        // Instants where the offset may change: the table's, then the rule's after the table.
        var instants: [Int] = []
        var lo = 0, hi = times.count  // the first index with times[i] > start
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= Int64(start) { lo = mid + 1 } else { hi = mid }
        }
        var i = lo
        while i < times.count && times[i] <= Int64(last) { instants.append(Int(times[i])); i += 1 }
        let after = times.last.map { Int($0) } ?? Int.min
        for t in rule.changes(year: year) where t > start && t <= last && t > after { instants.append(t) }
        var out: [ZoneMatcher.Transition] = []
        var current = initial
        for t in instants {
            let o = offset(at: t)
            if o != current { out.append(.init(at: t, offset: o)); current = o }
        }
        return ZoneMatcher.YearProfile(initial: initial, transitions: out)
    }
}
