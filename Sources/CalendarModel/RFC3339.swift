/// RFC 3339 dates and date-times, as Google's API writes them and as calport's options take
/// them: the one reader of that syntax in calport.
public enum RFC3339 {
    /// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±hh:mm)?` (`T` and `Z` in either case). Fractional seconds
    /// are read and dropped; the offset (seconds east of UTC) is nil when there is none.
    public static func dateTime(_ s: String) -> (local: LocalDateTime, offset: Int?)? {
        // Read in place: a copy of the bytes was an allocation for every time Google gives.
        var s = s
        return s.withUTF8 { dateTime($0) }
    }

    private static func dateTime(_ u: UnsafeBufferPointer<UInt8>) -> (local: LocalDateTime, offset: Int?)? {
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
        if i < u.count, u[i] == 0x2E {
            i += 1
            let digits = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            guard i > digits else { return nil }
        }
        if i == u.count { return (t, nil) }
        if u[i] == 0x5A || u[i] == 0x7A { return i + 1 == u.count ? (t, 0) : nil }
        guard u[i] == 0x2B || u[i] == 0x2D, u.count == i + 6, u[i + 3] == 0x3A,
              let oh = num((i + 1)..<(i + 3)), let om = num((i + 4)..<(i + 6)), oh < 24, om < 60
        else { return nil }
        return (t, (u[i] == 0x2D ? -1 : 1) * (oh * 3600 + om * 60))
    }

    /// `YYYY-MM-DD`, a valid calendar date.
    public static func date(_ s: String) -> LocalDate? {
        var s = s
        return s.withUTF8 { date($0) }
    }

    private static func date(_ u: UnsafeBufferPointer<UInt8>) -> LocalDate? {
        guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D,
              u.indices.allSatisfy({ $0 == 4 || $0 == 7 || (u[$0] >= 0x30 && u[$0] <= 0x39) })
        else { return nil }
        func n(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + Int(u[$1] - 0x30) } }
        let date = LocalDate(year: n(0..<4), month: n(5..<7), day: n(8..<10))
        return date.isValid ? date : nil
    }

    /// Seconds since 1970 of a date-time with `Z` or an offset; nil without one.
    public static func instant(_ s: String) -> Int? {
        guard let (local, offset) = dateTime(s), let offset else { return nil }
        return local.secondsSinceEpoch - offset
    }
}
