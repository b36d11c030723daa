import CLibical
import CalendarModel

/// One occurrence of an event's recurrence set.
public struct Occurrence: Hashable, Sendable {
    /// The occurrence's original start (what a RECURRENCE-ID names); for a single event, its start.
    public var recurrenceID: EventTime
    public var start: EventTime
    public var end: EventTime?

    public init(recurrenceID: EventTime, start: EventTime, end: EventTime?) {
        self.recurrenceID = recurrenceID
        self.start = start
        self.end = end
    }
}

/// What `RecurrenceExpander.expand` found.
public struct ExpansionResult: Sendable {
    /// Sorted by start: by instant when the start names one, else by its wall time read as UTC.
    public var occurrences: [Occurrence]
    /// True when the list is not the whole recurrence set from the window start on: the per-series
    /// cap or a work bound was hit, or the series has occurrences at or after the window end
    /// (an infinite series always has). A rule cut at the window end counts as having more to come
    /// unless its COUNT is used up or its UNTIL lies within the window.
    public var truncated: Bool
    /// Human-readable notes: invalid rules, UNTIL before DTSTART, caps that were hit, unknown zones.
    public var problems: [String]

    public init(occurrences: [Occurrence] = [], truncated: Bool = false, problems: [String] = []) {
        self.occurrences = occurrences
        self.truncated = truncated
        self.problems = problems
    }
}

/// Expands a master event's recurrence set (RFC 5545 section 3.8.5) with libical's RRULE engine.
///
/// How the set is built:
/// - Rules are computed on DTSTART's wall clock in DTSTART's zone (09:00 stays 09:00 across a
///   DST change); libical iterates a zone-less (floating) copy of DTSTART, or a DATE for an all-day
///   event, and each wall time is then placed on the timeline with `utcOffset`.
/// - DTSTART is always the first occurrence, even when the rule would not produce it (libical's
///   iterator leaves it out then). COUNT is applied as libical applies it, to the rule's own
///   instances; the set is DTSTART ∪ RRULEs ∪ RDATEs, as libical's component expansion does.
/// - UNTIL given in UTC while DTSTART is zoned is converted to DTSTART's wall clock with the offset
///   in force at UNTIL before libical sees it, and occurrences are also filtered by instant
///   afterwards, so an occurrence exactly at UNTIL is kept and none after it (even in a repeated
///   DST hour). UNTIL as a DATE on a timed series is read as the end of that day (noted).
/// - EXRULE and EXDATE remove occurrences. EXDATE matches by instant when both sides name one,
///   by local date for all-day occurrences (and for a DATE EXDATE on a timed series), and by wall
///   time otherwise (floating times, unknown zones).
/// - Ends: a PERIOD RDATE gives its own end. Otherwise, for all-day occurrences the whole days
///   between DTSTART and DTEND (or DURATION's days); for timed ones the exact seconds between
///   DTSTART and DTEND, or DURATION (its days on the wall clock, then its exact part). Without
///   either, RFC 5545's defaults: one day for all-day, zero length for timed. A timed end is
///   expressed in the start's zone.
///
/// Work is bounded: libical is never asked to look past the window end (plus two days for zone
/// offsets); every rule stops after `limit` kept occurrences in the window, after
/// `iterationBudget` occurrences in total, and sub-daily rules with BY* parts (which libical 3
/// scans one second, minute or hour at a time) after `scanStepBudget` such steps. Each bound that
/// cuts a rule short is reported in `problems`.
///
/// Thread safety: rule parsing and iterator creation run under `Libical.lock` (parsing a UTC
/// UNTIL touches libical's lazily built UTC zone). Iteration runs outside the lock: the iterator
/// is private to the call, and with zone-less times libical consults no shared zone tables.
/// `utcOffset` is never called while the lock is held.
public enum RecurrenceExpander {
    /// Occurrences a rule may produce in total (before the window, excluded, kept) before it is
    /// abandoned; about a second of libical's time for the densest rules.
    static let iterationBudget = 300_000
    /// Unit steps libical 3 may take for a SECONDLY, MINUTELY or HOURLY rule with BY* parts.
    static let scanStepBudget = 300_000

    /// Expands one master event (RRULEs, RDATEs incl. PERIOD, EXRULEs, EXDATEs) between
    /// `windowStart` and `windowEnd` (inclusive start, exclusive end; instants in seconds since
    /// the Unix epoch, compared against each occurrence's instant — for floating and all-day
    /// occurrences their local wall time read as UTC), at most `limit` occurrences.
    /// `utcOffset(tzid, local)` resolves zoned wall times; it returns nil for an unknown zone.
    public static func expand(_ event: Event, windowStart: Int, windowEnd: Int, limit: Int,
                              utcOffset: (String, LocalDateTime) -> Int?) -> ExpansionResult {
        withoutActuallyEscaping(utcOffset) { offset in
            var run = Expansion(event: event, windowStart: windowStart, windowEnd: windowEnd,
                                limit: max(0, limit), zones: ZoneResolver(offset: offset))
            return run.run()
        }
    }
}

// MARK: - Time helpers

/// Resolves zoned wall times and instants through the caller's offset function.
private struct ZoneResolver {
    let offset: (String, LocalDateTime) -> Int?

    /// Fills in (or refreshes) a zoned time's offset; other kinds unchanged.
    func resolve(_ t: EventTime) -> EventTime {
        guard case .zoned(let w, let z, let given) = t else { return t }
        return .zoned(w, tzid: z, utcOffset: offset(z, w) ?? given)
    }

    /// The wall time in `tzid` of an instant, with the offset that maps it back to that instant.
    func wall(ofInstant i: Int, in tzid: String) -> (LocalDateTime, Int)? {
        guard let guess = offset(tzid, LocalDateTime(secondsSinceEpoch: i)) else { return nil }
        var off = guess
        if let second = offset(tzid, LocalDateTime(secondsSinceEpoch: i + guess)), second != guess { off = second }
        return (LocalDateTime(secondsSinceEpoch: i + off), off)
    }

    /// `t` plus exactly `seconds` on the timeline, expressed in `t`'s own zone.
    func adding(exact seconds: Int, to t: EventTime) -> EventTime {
        switch t {
        case .date(let d): return .date(d.adding(days: seconds / 86_400))
        case .floating(let w): return .floating(w.adding(seconds: seconds))
        case .utc(let w): return .utc(w.adding(seconds: seconds))
        case .zoned(let w, let z, let off):
            if let off, let (w2, off2) = wall(ofInstant: w.secondsSinceEpoch - off + seconds, in: z) {
                return .zoned(w2, tzid: z, utcOffset: off2)
            }
            let w2 = w.adding(seconds: seconds)
            return .zoned(w2, tzid: z, utcOffset: offset(z, w2))
        }
    }

    /// `t` plus `days` on the wall clock, then `seconds` exactly.
    func adding(nominalDays days: Int, exact seconds: Int, to t: EventTime) -> EventTime {
        switch t {
        case .date(let d): return .date(d.adding(days: days + seconds / 86_400))
        case .floating(let w): return .floating(w.adding(seconds: days * 86_400 + seconds))
        case .utc(let w): return .utc(w.adding(seconds: days * 86_400 + seconds))
        case .zoned(let w, let z, _):
            let w1 = w.adding(seconds: days * 86_400)
            return adding(exact: seconds, to: .zoned(w1, tzid: z, utcOffset: offset(z, w1)))
        }
    }
}

/// Where a time sorts and meets the window: its instant, else its wall time read as UTC.
@inline(__always)
private func timelineKey(_ t: EventTime) -> Int { t.instant ?? t.localDateTime.secondsSinceEpoch }

/// Identity of an occurrence start, for removing duplicates between DTSTART, rules and RDATEs.
private enum StartIdentity: Hashable {
    case instant(Int), wall(Int), date(Int)

    init(_ t: EventTime) {
        switch t {
        case .date(let d): self = .date(d.daysSinceEpoch)
        default: self = t.instant.map { .instant($0) } ?? .wall(t.localDateTime.secondsSinceEpoch)
        }
    }
}

/// The series' frame: the kind of DTSTART, in which libical iterates wall times.
private struct SeriesFrame {
    enum Kind: Equatable { case date, floating, utc, zoned(String) }
    let kind: Kind
    let zones: ZoneResolver

    init(_ start: EventTime, zones: ZoneResolver) {
        switch start {
        case .date: kind = .date
        case .floating: kind = .floating
        case .utc: kind = .utc
        case .zoned(_, let z, _): kind = .zoned(z)
        }
        self.zones = zones
    }

    var isDate: Bool { kind == .date }

    /// An iterated wall time as an event time of this series.
    func time(_ w: LocalDateTime) -> EventTime {
        switch kind {
        case .date: return .date(w.date)
        case .floating: return .floating(w)
        case .utc: return .utc(w)
        case .zoned(let z): return .zoned(w, tzid: z, utcOffset: zones.offset(z, w))
        }
    }

    /// A time as a wall time on this series' clock (seconds, read as UTC), to meet rule output.
    func wallKey(_ t: EventTime) -> Int {
        switch kind {
        case .date: return t.localDateTime.date.daysSinceEpoch * 86_400
        case .floating: return t.localDateTime.secondsSinceEpoch
        case .utc: return timelineKey(t)
        case .zoned(let z):
            if case .zoned(let w, let tz, _) = t, tz == z { return w.secondsSinceEpoch }
            if let i = t.instant, let (w, _) = zones.wall(ofInstant: i, in: z) { return w.secondsSinceEpoch }
            return t.localDateTime.secondsSinceEpoch
        }
    }

    /// The wall time on this clock of a window bound (an instant, or wall time read as UTC).
    func wall(ofBound b: Int) -> LocalDateTime {
        if case .zoned(let z) = kind, let (w, _) = zones.wall(ofInstant: b, in: z) { return w }
        return LocalDateTime(secondsSinceEpoch: b)
    }
}

/// How each occurrence's end follows from its start.
private enum EndRule {
    case defaultLength
    case days(Int)
    case exact(Int)
    case nominal(days: Int, seconds: Int)

    init(_ event: Event, start: EventTime) {
        if let end = event.end {
            if start.isDate || end.isDate {
                self = .days(end.localDateTime.date.daysSinceEpoch - start.localDateTime.date.daysSinceEpoch)
            } else if let a = start.instant, let b = end.instant {
                self = .exact(b - a)
            } else {
                self = .exact(end.localDateTime.secondsSinceEpoch - start.localDateTime.secondsSinceEpoch)
            }
        } else if let d = event.duration {
            self = start.isDate ? .days(d.nominalDays + d.exactSeconds / 86_400) : .nominal(days: d.nominalDays, seconds: d.exactSeconds)
        } else {
            self = .defaultLength
        }
    }

    func end(for start: EventTime, zones: ZoneResolver) -> EventTime {
        switch (self, start) {
        case (.defaultLength, .date(let d)): return .date(d.adding(days: 1))
        case (.defaultLength, _): return start
        case (.days(let n), .date(let d)): return .date(d.adding(days: n))
        case (.exact(let s), .date(let d)): return .date(d.adding(days: max(1, s / 86_400)))  // a timed length on an all-day RDATE
        case (.nominal(let n, let s), .date(let d)): return .date(d.adding(days: max(1, n + s / 86_400)))
        case (.days(let n), _): return zones.adding(nominalDays: n, exact: 0, to: start)
        case (.exact(let s), _): return zones.adding(exact: s, to: start)
        case (.nominal(let d, let s), _): return zones.adding(nominalDays: d, exact: s, to: start)
        }
    }
}

// MARK: - libical rules

/// One RRULE or EXRULE prepared for libical: parsed, UNTIL moved onto DTSTART's wall clock and
/// bounded by a horizon, and its iterator.
private final class RuleIterator {
    private let iterator: OpaquePointer  // icalrecur_iterator*
    private let count: Int
    private let isDate: Bool
    /// The UTC instant of UNTIL when it was given in UTC for a zoned series.
    let untilInstant: Int?
    /// libical was stopped by calport's horizon, not by the rule's own UNTIL.
    let cutByHorizon: Bool
    /// Where the horizon was drawn because libical scans this rule one unit (named) at a time.
    let scanCap: (LocalDateTime, String)?
    private(set) var produced = 0
    private(set) var finished = false

    private init(iterator: OpaquePointer, count: Int, isDate: Bool, untilInstant: Int?, cutByHorizon: Bool,
                 scanCap: (LocalDateTime, String)?) {
        self.iterator = iterator
        self.count = count
        self.isDate = isDate
        self.untilInstant = untilInstant
        self.cutByHorizon = cutByHorizon
        self.scanCap = scanCap
    }

    deinit { icalrecur_iterator_free(iterator) }

    /// Whether the rule ended on its own terms (COUNT used up), as opposed to a horizon.
    var exhaustedCount: Bool { count > 0 && produced >= count }

    func next() -> LocalDateTime? {
        guard !finished else { return nil }
        let t = icalrecur_iterator_next(iterator)
        if icaltime_is_null_time(t) != 0 {
            finished = true
            return nil
        }
        produced += 1
        return LocalDateTime(year: Int(t.year), month: Int(t.month), day: Int(t.day),
                             hour: isDate ? 0 : Int(t.hour), minute: isDate ? 0 : Int(t.minute),
                             second: isDate ? 0 : Int(t.second))
    }

    /// Parses `text` and creates its iterator from `dtstart` (a wall time on the series' clock).
    /// Returns nil, with a problem noted, when libical rejects the rule.
    static func make(_ label: String, _ text: String, dtstart: LocalDateTime, frame: SeriesFrame,
                     horizon: LocalDateTime, problems: inout [String]) -> RuleIterator? {
        _ = Libical.setUp
        let (parsed, error, untilIsUTC): (icalrecurrencetype, icalerrorenum, Bool) = Libical.lock.withLock {
            calport_icalerrno_clear()
            let r = text.withCString { icalrecurrencetype_from_string($0) }
            let e = calport_icalerrno()
            let utc = icaltime_is_null_time(r.until) == 0 && r.until.is_date == 0 && icaltime_is_utc(r.until) != 0
            return (r, e, utc)
        }
        var rule = parsed
        guard rule.freq != ICAL_NO_RECURRENCE else {
            let why = error != ICAL_NO_ERROR ? "libical: \(String(cString: icalerror_strerror(error)))" : "it has no FREQ"
            problems.append("\(label) \(text) is invalid: \(why)")
            return nil
        }

        // UNTIL on DTSTART's wall clock.
        var untilWall: LocalDateTime?
        var untilInstant: Int?
        if icaltime_is_null_time(rule.until) == 0 {
            let u = rule.until
            let w = LocalDateTime(year: Int(u.year), month: Int(u.month), day: Int(u.day),
                                  hour: Int(u.hour), minute: Int(u.minute), second: Int(u.second))
            if u.is_date != 0 {
                if frame.isDate {
                    untilWall = w
                } else {
                    untilWall = LocalDateTime(date: w.date, hour: 23, minute: 59, second: 59)
                    problems.append("\(label) \(text): UNTIL is a DATE while DTSTART is a DATE-TIME; read as the end of \(w.date.extendedFormat)")
                }
            } else if untilIsUTC, case .zoned(let z) = frame.kind,
                      let (local, _) = frame.zones.wall(ofInstant: w.secondsSinceEpoch, in: z) {
                untilWall = local
                untilInstant = w.secondsSinceEpoch
            } else {
                untilWall = w  // same clock, or floating/unknown zone: read as written
            }
        }
        if let uw = untilWall, frame.isDate ? uw.date < dtstart.date : uw < dtstart {
            problems.append(label == "RRULE"
                ? "RRULE \(text): UNTIL is before DTSTART; the rule adds no occurrences (DTSTART is still the first)"
                : "EXRULE \(text): UNTIL is before DTSTART; it excludes nothing")
        }

        // RFC 5545 forbids BYHOUR, BYMINUTE and BYSECOND with a DATE DTSTART; libical 3.0 would
        // repeat the same date for each of them, later versions ignore them. Ignore them.
        if frame.isDate && rule.hasTimeParts {
            clearList(&rule.by_hour)
            clearList(&rule.by_minute)
            clearList(&rule.by_second)
            problems.append("\(label) \(text): BYHOUR, BYMINUTE and BYSECOND are ignored, as DTSTART is a DATE")
        }

        // Horizon: libical never looks past the window end, nor scans too many unit steps.
        var bound = horizon
        var scanCap: (LocalDateTime, String)?
        let unit: (seconds: Int, name: String)? = switch rule.freq {
        case ICAL_SECONDLY_RECURRENCE: (1, "second")
        case ICAL_MINUTELY_RECURRENCE: (60, "minute")
        case ICAL_HOURLY_RECURRENCE: (3600, "hour")
        default: nil
        }
        if let unit, !frame.isDate, rule.hasByParts {
            let cap = dtstart.adding(seconds: RecurrenceExpander.scanStepBudget * unit.seconds * max(1, Int(rule.interval)))
            if cap < bound {
                bound = cap
                scanCap = (cap, unit.name)
            }
        }
        let cutByHorizon: Bool
        if let uw = untilWall, uw <= bound {
            rule.until = icalTime(uw, isDate: frame.isDate)
            cutByHorizon = false
            scanCap = nil
        } else {
            rule.until = icalTime(bound, isDate: frame.isDate)
            cutByHorizon = true
        }

        let start = icalTime(dtstart, isDate: frame.isDate)
        let made: (OpaquePointer?, icalerrorenum) = Libical.lock.withLock {
            calport_icalerrno_clear()
            let it = icalrecur_iterator_new(rule, start)
            return (it, calport_icalerrno())
        }
        guard let it = made.0 else {
            let why = made.1 != ICAL_NO_ERROR ? String(cString: icalerror_strerror(made.1)) : "no iterator"
            problems.append("\(label) \(text) is invalid: libical: \(why)")
            return nil
        }
        return RuleIterator(iterator: it, count: Int(rule.count), isDate: frame.isDate, untilInstant: untilInstant,
                            cutByHorizon: cutByHorizon, scanCap: scanCap)
    }
}

private func icalTime(_ w: LocalDateTime, isDate: Bool) -> icaltimetype {
    var t = icaltime_null_time()
    t.year = Int32(w.date.year)
    t.month = Int32(w.date.month)
    t.day = Int32(w.date.day)
    if !isDate {
        t.hour = Int32(w.hour)
        t.minute = Int32(w.minute)
        t.second = Int32(w.second)
    }
    t.is_date = isDate ? 1 : 0
    t.zone = nil
    return t
}

/// libical ends each BY* list with ICAL_RECURRENCE_ARRAY_MAX.
private let arrayEnd = Int16(truncatingIfNeeded: ICAL_RECURRENCE_ARRAY_MAX.rawValue)

/// Empties a BY* list: every slot, as libical 3.0 reads some lists past the first terminator.
private func clearList<T>(_ list: inout T) {
    withUnsafeMutableBytes(of: &list) { raw in
        let slots = raw.bindMemory(to: Int16.self)
        for i in slots.indices { slots[i] = arrayEnd }
    }
}

extension icalrecurrencetype {
    fileprivate var hasTimeParts: Bool { by_second.0 != arrayEnd || by_minute.0 != arrayEnd || by_hour.0 != arrayEnd }

    /// Any BY* part given.
    fileprivate var hasByParts: Bool {
        hasTimeParts || by_day.0 != arrayEnd || by_month_day.0 != arrayEnd || by_year_day.0 != arrayEnd
            || by_week_no.0 != arrayEnd || by_month.0 != arrayEnd || by_set_pos.0 != arrayEnd
    }
}

extension RecurrenceExpander {
    /// libical's iterator output for one rule, exactly as it comes (no DTSTART added, no sorting,
    /// no removal of duplicates, no horizon), at most `max` times; nil when libical rejects the
    /// rule. For tests that tell libical's own behaviour apart from calport's.
    static func rawLibicalIteration(_ rule: String, start: LocalDateTime, isDate: Bool, max: Int) -> [LocalDateTime]? {
        _ = Libical.setUp
        let it: OpaquePointer? = Libical.lock.withLock {
            let r = rule.withCString { icalrecurrencetype_from_string($0) }
            return icalrecur_iterator_new(r, icalTime(start, isDate: isDate))
        }
        guard let it else { return nil }
        defer { icalrecur_iterator_free(it) }
        var out: [LocalDateTime] = []
        while out.count < max {
            let t = icalrecur_iterator_next(it)
            if icaltime_is_null_time(t) != 0 { break }
            out.append(LocalDateTime(year: Int(t.year), month: Int(t.month), day: Int(t.day),
                                     hour: Int(t.hour), minute: Int(t.minute), second: Int(t.second)))
        }
        return out
    }
}

/// An EXRULE's occurrences, produced lazily as far as lookups need them.
private final class ExclusionStream {
    private let rule: RuleIterator
    private var seen: Set<Int> = []
    private var reached = Int.min
    private let keepFrom: Int
    private(set) var overBudget = false

    init(_ rule: RuleIterator, keepFrom: Int) {
        self.rule = rule
        self.keepFrom = keepFrom
    }

    func contains(wallKey k: Int) -> Bool {
        while reached < k && !rule.finished && !overBudget {
            guard let w = rule.next() else { break }
            reached = w.secondsSinceEpoch
            if reached >= keepFrom { seen.insert(reached) }
            if rule.produced >= RecurrenceExpander.iterationBudget { overBudget = true }
        }
        return seen.contains(k)
    }
}

// MARK: - Expansion

private struct Expansion {
    let event: Event
    let windowStart: Int
    let windowEnd: Int
    let limit: Int
    let zones: ZoneResolver

    var problems: [String] = []
    var truncated = false

    init(event: Event, windowStart: Int, windowEnd: Int, limit: Int, zones: ZoneResolver) {
        self.event = event
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.limit = limit
        self.zones = zones
    }

    private mutating func note(_ p: String) { if !problems.contains(p) { problems.append(p) } }

    mutating func run() -> ExpansionResult {
        guard let rawStart = event.start else {
            return ExpansionResult(problems: ["the event has no DTSTART; nothing to expand"])
        }
        let start = zones.resolve(rawStart)
        if case .zoned(_, let z, nil) = start {
            note("TZID \(z) is unknown; its times are placed on the timeline as if they were UTC")
        }
        let frame = SeriesFrame(start, zones: zones)
        let endRule = EndRule(event, start: start)
        let dtstartWall = start.localDateTime

        // Horizon: the window end on the series' clock, two days on for any zone offset.
        let minWall = LocalDateTime(year: 1, month: 1, day: 1)
        let maxWall = LocalDateTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)
        let endWall = frame.wall(ofBound: min(max(windowEnd, minWall.secondsSinceEpoch), maxWall.secondsSinceEpoch))
        let horizon = min(endWall.adding(seconds: 2 * 86_400), maxWall)
        let keepFrom = frame.wall(ofBound: min(max(windowStart, minWall.secondsSinceEpoch), maxWall.secondsSinceEpoch))
            .secondsSinceEpoch - 2 * 86_400

        // Exclusions.
        let exclusions = Exclusions(event.exceptionDates.map(zones.resolve))
        var exRules: [ExclusionStream] = []
        for text in event.exceptionRules {
            if let it = RuleIterator.make("EXRULE", text, dtstart: dtstartWall, frame: frame, horizon: horizon, problems: &problems) {
                exRules.append(ExclusionStream(it, keepFrom: keepFrom))
            }
        }
        func excluded(_ t: EventTime) -> Bool {
            if exclusions.excludes(t) { return true }
            if exRules.isEmpty { return false }
            let k = frame.wallKey(t)
            return exRules.contains { $0.contains(wallKey: k) }
        }

        // Candidates, by identity; later PERIOD RDATEs override what they coincide with.
        var found: [StartIdentity: (Int, Occurrence)] = [:]
        var order = 0
        func add(_ s: EventTime, end: EventTime, override: Bool = false) {
            let id = StartIdentity(s)
            if found[id] != nil && !override { return }
            order += 1
            found[id] = (found[id]?.0 ?? order, Occurrence(recurrenceID: s, start: s, end: end))
        }
        /// Adds a start given outside the rules (DTSTART, RDATE) when it is in the window.
        func addListed(_ s: EventTime, end: EventTime, override: Bool = false) {
            let k = timelineKey(s)
            guard k >= windowStart else { return }
            if excluded(s) { return }
            if k >= windowEnd {
                truncated = true
                return
            }
            add(s, end: end, override: override)
        }

        addListed(start, end: endRule.end(for: start, zones: zones))

        for text in event.recurrenceRules {
            guard let rule = RuleIterator.make("RRULE", text, dtstart: dtstartWall, frame: frame, horizon: horizon, problems: &problems)
            else { continue }
            var kept = 0
            var stoppedEarly = false
            while let w = rule.next() {
                let s = frame.time(w)
                let k = timelineKey(s)
                if let u = rule.untilInstant, let i = s.instant, i > u { break }  // past UTC UNTIL
                if rule.produced > RecurrenceExpander.iterationBudget {
                    note("RRULE \(text): stopped after \(RecurrenceExpander.iterationBudget) occurrences; later ones are not listed")
                    stoppedEarly = true
                    break
                }
                if k < windowStart { continue }
                if k >= windowEnd {
                    if exclusions.excludes(s) { continue }
                    stoppedEarly = true
                    break
                }
                if excluded(s) { continue }
                if kept >= limit {
                    note("capped at \(limit) occurrences")
                    stoppedEarly = true
                    break
                }
                add(s, end: endRule.end(for: s, zones: zones))
                kept += 1
            }
            if stoppedEarly {
                truncated = true
            } else if rule.cutByHorizon && !rule.exhaustedCount {
                truncated = true
                if let (cap, unit) = rule.scanCap {
                    note("RRULE \(text): expanded only up to \(cap.extendedFormat), as libical tests this rule one \(unit) at a time; later occurrences are not listed")
                }
            }
        }
        for ex in exRules where ex.overBudget {
            note("an EXRULE stopped after \(RecurrenceExpander.iterationBudget) occurrences; later exclusions are not applied")
        }

        for r in event.recurrenceDates {
            switch r {
            case .time(let t):
                let s = zones.resolve(t)
                addListed(s, end: endRule.end(for: s, zones: zones))
            case .period(let t, let e):
                addListed(zones.resolve(t), end: zones.resolve(e), override: true)
            case .periodWithDuration(let t, let d):
                let s = zones.resolve(t)
                addListed(s, end: zones.adding(nominalDays: d.nominalDays, exact: d.exactSeconds, to: s), override: true)
            }
        }

        var list = found.values.sorted { a, b in
            let ka = timelineKey(a.1.start), kb = timelineKey(b.1.start)
            return ka != kb ? ka < kb : a.0 < b.0
        }.map(\.1)
        if list.count > limit {
            list.removeSubrange(limit...)
            truncated = true
            note("capped at \(limit) occurrences")
        }
        return ExpansionResult(occurrences: list, truncated: truncated, problems: problems)
    }
}

/// EXDATE values, indexed for the three ways of matching.
private struct Exclusions {
    private var instants: Set<Int> = []
    /// Wall times of every DATE-TIME EXDATE (for floating occurrences and unknown zones).
    private var walls: Set<Int> = []
    /// Wall times of EXDATEs that name no instant (floating, unknown zone): matched on any clock.
    private var unplacedWalls: Set<Int> = []
    /// DATE EXDATEs.
    private var dates: Set<Int> = []
    /// The local date of every EXDATE, for all-day occurrences.
    private var anyDates: Set<Int> = []
    let isEmpty: Bool

    init(_ values: [EventTime]) {
        isEmpty = values.isEmpty
        for v in values {
            anyDates.insert(v.localDateTime.date.daysSinceEpoch)
            if case .date(let d) = v {
                dates.insert(d.daysSinceEpoch)
                continue
            }
            walls.insert(v.localDateTime.secondsSinceEpoch)
            if let i = v.instant { instants.insert(i) } else { unplacedWalls.insert(v.localDateTime.secondsSinceEpoch) }
        }
    }

    func excludes(_ t: EventTime) -> Bool {
        if isEmpty { return false }
        let w = t.localDateTime
        switch t {
        case .date(let d): return anyDates.contains(d.daysSinceEpoch)
        default:
            if dates.contains(w.date.daysSinceEpoch) { return true }
            if let i = t.instant {
                return instants.contains(i) || unplacedWalls.contains(w.secondsSinceEpoch)
            }
            return walls.contains(w.secondsSinceEpoch)
        }
    }
}
