/// Turning a wall-clock time in a zone into a UTC offset, as RFC 5545 3.3.5 asks.
public enum WallTime {
    /// The UTC offset for a wall-clock time (`wall`, seconds since the epoch as if it were UTC),
    /// given the zone's offset at any UTC instant. A wall time that occurs twice (when clocks
    /// go back) is the first occurrence; one that does not occur (when clocks go forward)
    /// takes the offset in force before the change. Assumes at most one change within a day.
    public static func utcOffset(wall: Int, offsetAtInstant f: (Int) -> Int) -> Int {
        let before = f(wall - 86_400)
        let after = f(wall + 86_400)
        if before == after {
            // No change nearby (the usual case), or one that went and came back: check directly.
            // When `o` is `before` (nearly always), `wall - o` is the instant just asked about.
            let o = f(wall - before)
            return o == before || f(wall - o) == o ? o : before
        }
        let fitsBefore = f(wall - before) == before
        let fitsAfter = f(wall - after) == after
        switch (fitsBefore, fitsAfter) {
        case (true, true): return max(before, after)  // twice: the earlier instant
        case (true, false): return before
        case (false, true): return after
        case (false, false): return before  // in the gap: the offset before the change
        }
    }
}
