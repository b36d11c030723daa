import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// `push --time-min/--time-max`: the part of the input a push sends. An event goes when any
/// of its occurrences touches the window (ends after `--time-min`, starts before `--time-max`);
/// a series goes whole, with all its overrides, when any occurrence or override does. All-day
/// and floating times are compared as UTC wall times, as `verify` does.
public struct PushWindow: Sendable, Equatable, CustomStringConvertible {
    /// Seconds since the epoch (inclusive start, exclusive end).
    public var start: Int?
    public var end: Int?
    /// The bounds as Google takes them (for listing the calendar within the window).
    public var timeMin: String?
    public var timeMax: String?

    /// Nil when a bound is neither a date (`2026-01-01`, midnight UTC) nor an RFC 3339
    /// date-time with an offset, or when the window is empty.
    public init?(timeMin: String?, timeMax: String?) {
        if let t = timeMin {
            guard let bound = PullOptions.rfc3339Bound(t), let s = EventKey.instant(bound, zone: nil) else { return nil }
            self.timeMin = bound
            start = s
        }
        if let t = timeMax {
            guard let bound = PullOptions.rfc3339Bound(t), let s = EventKey.instant(bound, zone: nil) else { return nil }
            self.timeMax = bound
            end = s
        }
        if let start, let end, start >= end { return nil }
    }

    public var description: String { "\(timeMin ?? "…")/\(timeMax ?? "…")" }

    /// Whether [s, e) touches the window; a zero-length event touches it at its start.
    func touches(_ s: Int, _ e: Int) -> Bool {
        if let end, !(s < end) { return false }
        if let start, !(e > start || (s == e && s >= start)) { return false }
        return true
    }

    static func seconds(_ t: EventTime) -> Int {
        if let i = t.instant { return i }
        if case .zoned(let w, let z, _) = t, let off = TimeZoneNames.utcOffset(tzid: z, at: w) { return w.secondsSinceEpoch - off }
        return t.localDateTime.secondsSinceEpoch
    }

    /// Whether one event (a single event, a series or an override) touches the window. Nil when
    /// it has no start (it cannot be placed; it is kept, and the plan says what is wrong).
    func touches(_ e: Event) -> Bool? {
        guard let startTime = e.start else { return nil }
        let s = Self.seconds(startTime)
        let length = max(0, (e.effectiveEnd.map(Self.seconds) ?? s) - s)
        if touches(s, s + length) { return true }
        if let r = e.recurrenceID, touches(Self.seconds(r), Self.seconds(r) + length) { return true }
        guard e.isRecurring, e.recurrenceID == nil else { return false }
        // The first few occurrences from just before the window on: one that starts earlier
        // than `start - length` ends before the window.
        let from = start.map { $0 - length } ?? Int.min / 4
        let to = end ?? Int.max / 4
        let expansion = RecurrenceExpander.expand(e, windowStart: from, windowEnd: to, limit: 4) { z, local in
            TimeZoneNames.utcOffset(tzid: z, at: local)
        }
        return expansion.occurrences.contains { o in
            let os = Self.seconds(o.start)
            return touches(os, o.end.map(Self.seconds) ?? os + length)
        }
    }
}

extension PushInput {
    /// The input with only the events that touch `window`: a UID goes whole (series, overrides
    /// and cancelled occurrences) when any of its parts does. Rejected events that cannot be
    /// placed stay (their reason is still reported). `outside` counts the events left out.
    public func restricted(to window: PushWindow) -> (input: PushInput, outside: Int) {
        var touching: Set<String> = []
        for item in items where !touching.contains(item.key.uid) {
            if window.touches(item.event) != false { touching.insert(item.key.uid) }
        }
        var out = self
        out.items = []
        for item in items where touching.contains(item.key.uid) {
            var kept = item
            kept.index = out.items.count
            out.items.append(kept)
        }
        out.rejects = rejects.filter { r in
            (r.event.uid.map(touching.contains) ?? false) || window.touches(r.event) != false
        }
        // A run of the same file with another window is another run in the journal.
        out.identity = SHA256Digest.hex(SHA256Digest.hash(Array((identity + "\u{0}window \(window)").utf8)))
        return (out, items.count - out.items.count + rejects.count - out.rejects.count)
    }

    /// Every UID of the input (rejected events included): what `--prune` compares with.
    public var allUIDs: Set<String> {
        Set(items.map(\.key.uid)).union(rejects.compactMap(\.event.uid))
    }
}
