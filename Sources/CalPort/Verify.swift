import CalendarModel
import GoogleCalendar
import ICalendar

/// Compares two calendars occurrence by occurrence: both are expanded with libical's
/// recurrence engine over a window, overrides and cancellations applied, and each
/// occurrence's fields compared in normalised form (instants, not strings).
public struct Verifier {
    public struct Options: Sendable {
        /// Instants (seconds since the Unix epoch): [start, end).
        public var windowStart: Int
        public var windowEnd: Int
        /// The most occurrences taken from one series.
        public var limitPerSeries: Int
        public init(windowStart: Int = Verifier.defaultWindow.start, windowEnd: Int = Verifier.defaultWindow.end, limitPerSeries: Int = 2000) {
            self.windowStart = windowStart
            self.windowEnd = windowEnd
            self.limitPerSeries = limitPerSeries
        }
    }

    /// 1900-01-01 to 2100-01-01.
    public static let defaultWindow = (
        start: LocalDateTime(year: 1900, month: 1, day: 1).secondsSinceEpoch,
        end: LocalDateTime(year: 2100, month: 1, day: 1).secondsSinceEpoch
    )

    /// A point in time as compared: instants for zoned and UTC times, dates for all-day, wall
    /// times for floating times that no zone could place.
    public enum TimeKey: Hashable, Comparable, Sendable, CustomStringConvertible {
        case date(LocalDate)
        case instant(Int)
        case floating(LocalDateTime)

        public var description: String {
            switch self {
            case .date(let d): return d.extendedFormat
            case .instant(let s): return LocalDateTime(secondsSinceEpoch: s).extendedFormat + "Z"
            case .floating(let l): return l.extendedFormat
            }
        }

        var sortValue: Int {
            switch self {
            case .date(let d): return d.daysSinceEpoch * 86_400
            case .instant(let s): return s
            case .floating(let l): return l.secondsSinceEpoch
            }
        }

        public static func < (a: TimeKey, b: TimeKey) -> Bool { (a.sortValue, a.description) < (b.sortValue, b.description) }
    }

    /// The compared fields of one occurrence.
    public struct Occurrence: Hashable, Sendable {
        public var uid: String
        public var recurrenceID: TimeKey
        public var fields: [String: String]
    }

    public struct Difference: Sendable, Codable, CustomStringConvertible {
        public enum Kind: String, Sendable, Codable { case missing, extra, changed }
        public var kind: Kind
        public var uid: String
        public var occurrence: String
        public var field: String?
        public var a: String?
        public var b: String?

        public var description: String {
            switch kind {
            case .missing: return "missing in B: \(uid) at \(occurrence)"
            case .extra: return "extra in B: \(uid) at \(occurrence)"
            case .changed: return "changed: \(uid) at \(occurrence): \(field ?? "?"): \(a ?? "(none)") -> \(b ?? "(none)")"
            }
        }
    }

    public struct Report: Sendable, Codable {
        public var occurrencesA = 0
        public var occurrencesB = 0
        public var eventsA = 0
        public var eventsB = 0
        public var differences: [Difference] = []
        /// Series whose expansion was capped or hit a problem (identical on both sides is fine).
        public var notes: [String] = []
        public var equivalent: Bool { differences.isEmpty }
    }

    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    /// Compares series by series (UID by UID, in UID order): only one UID's occurrences are
    /// held at a time, so memory grows with the events read, not with their occurrences.
    public func compare(_ a: LoadedCalendar, _ b: LoadedCalendar, floatingZoneA: String?, floatingZoneB: String?) -> Report {
        var report = Report()
        let sideA = Side(a, floatingZone: floatingZoneA), sideB = Side(b, floatingZone: floatingZoneB)
        var notesA = sideA.notes, notesB = sideB.notes
        report.eventsA = a.eventCount
        report.eventsB = b.eventCount
        var uids = Set(sideA.uids)
        uids.formUnion(sideB.uids)
        for uid in uids.sorted() {
            let occA = occurrences(of: uid, in: sideA, notes: &notesA)
            let occB = occurrences(of: uid, in: sideB, notes: &notesB)
            report.occurrencesA += occA.count
            report.occurrencesB += occB.count
            var times = Set(occA.keys)
            times.formUnion(occB.keys)
            for time in times.sorted() {
                switch (occA[time], occB[time]) {
                case (let x?, nil):
                    report.differences.append(Difference(kind: .missing, uid: uid, occurrence: time.description, a: x.fields["summary"]))
                case (nil, let y?):
                    report.differences.append(Difference(kind: .extra, uid: uid, occurrence: time.description, b: y.fields["summary"]))
                case (let x?, let y?):
                    for f in Set(x.fields.keys).union(y.fields.keys).sorted() where x.fields[f] != y.fields[f] {
                        report.differences.append(Difference(kind: .changed, uid: uid, occurrence: time.description,
                                                             field: f, a: x.fields[f], b: y.fields[f]))
                    }
                case (nil, nil): break
                }
            }
        }
        report.notes = notesA.map { "A: " + $0 } + notesB.map { "B: " + $0 }
        return report
    }

    /// One calendar's events by UID: its series (the first event without RECURRENCE-ID of each
    /// UID) and overrides, as indices into its entries.
    struct Side {
        let cal: LoadedCalendar
        let floatingZone: String?
        let entries: [Entry]
        var masters: [String: Int] = [:]
        var overrides: [String: [Int]] = [:]
        /// A cancelled event (STATUS:CANCELLED on the series) has no occurrences, as Google has
        /// it: there it is a deleted event, and so are its overrides. Comparing it occurrence
        /// by occurrence would report every one as missing from a calendar pulled from Google.
        var cancelled: Set<String> = []
        var notes: [String] = []
        /// Every UID, events without one named by their place ("(no UID #n)").
        var uids: [String] = []

        init(_ cal: LoadedCalendar, floatingZone: String?) {
            self.cal = cal
            self.floatingZone = floatingZone
            var entries = cal.entries ?? cal.document.events.map(Entry.init)
            // RANGE=THISANDFUTURE means the same here as in a conversion: the series is split.
            if entries.contains(where: \.thisAndFuture) {
                // Each event names its entry, whose attendees and reminders it takes back (a new
                // series, made from an override, those of the override).
                let marker = "X-CALPORT-VERIFY-ENTRY"
                let events = entries.enumerated().map { i, entry in
                    var e = entry.event
                    e.properties = [Property(name: marker, value: String(i))]
                    return e
                }
                let split = SeriesSplitter.split(events, utcOffset: cal.utcOffset) { _ in }
                entries = split.map { e in
                    let i = e.properties.first { $0.name == marker }.flatMap { Int($0.value) }!
                    return entries[i].with(e)
                }
            }
            for i in entries.indices {
                let uid = entries[i].uid ?? "(no UID #\(i + 1))"
                if entries[i].recurrenceID != nil {
                    if overrides[uid] == nil, masters[uid] == nil { uids.append(uid) }
                    overrides[uid, default: []].append(i)
                } else if masters[uid] == nil {
                    if overrides[uid] == nil { uids.append(uid) }
                    masters[uid] = i
                } else {
                    notes.append("\(uid): more than one event without RECURRENCE-ID; the first is compared")
                }
            }
            self.entries = entries
            for (uid, m) in masters where entries[m].status == .cancelled { cancelled.insert(uid) }
            if !cancelled.isEmpty {
                notes.append("\(cancelled.count) cancelled event\(cancelled.count == 1 ? "" : "s") (STATUS:CANCELLED) counted without occurrences")
            }
        }
    }

    /// The occurrences of one UID in the window, keyed by original start; notes go to `notes`.
    func occurrences(of uid: String, in side: Side, notes: inout [String]) -> [TimeKey: Occurrence] {
        guard !side.cancelled.contains(uid) else { return [:] }
        var out: [TimeKey: Occurrence] = [:]
        let cal = side.cal, floatingZone = side.floatingZone
        func key(_ t: EventTime) -> TimeKey { timeKey(t, cal: cal, floatingZone: floatingZone) }
        if let i = side.masters[uid] {
            let m = side.entries[i].event
            let r = RecurrenceExpander.expand(m, windowStart: options.windowStart, windowEnd: options.windowEnd,
                                              limit: options.limitPerSeries, utcOffset: cal.utcOffset)
            if r.truncated { notes.append("\(uid): expansion stopped after \(r.occurrences.count) occurrences") }
            for p in r.problems { notes.append("\(uid): \(p)") }
            for o in r.occurrences {
                let k = key(o.recurrenceID)
                out[k] = occurrence(m, side.entries[i], start: o.start, end: o.end, uid: uid, recurrenceID: k, cal: cal, floatingZone: floatingZone)
            }
        }
        for i in side.overrides[uid] ?? [] {
            let o = side.entries[i].event
            guard let rid = o.recurrenceID else { continue }
            let k = key(rid)
            let inWindow = inside(k) || o.start.map { inside(key($0)) } == true
            if o.status == .cancelled {
                out[k] = nil
                continue
            }
            if side.masters[uid] == nil { notes.append("\(uid): override at \(k) has no master event") }
            guard inWindow || out[k] != nil else { continue }
            out[k] = occurrence(o, side.entries[i], start: o.start ?? rid, end: o.effectiveEnd, uid: uid, recurrenceID: k, cal: cal, floatingZone: floatingZone)
        }
        return out
    }

    private func inside(_ t: TimeKey) -> Bool { t.sortValue >= options.windowStart && t.sortValue < options.windowEnd }

    func timeKey(_ t: EventTime, cal: LoadedCalendar, floatingZone: String?) -> TimeKey {
        switch t {
        case .date(let d): return .date(d)
        case .utc(let l): return .instant(l.secondsSinceEpoch)
        case .zoned(let l, let z, let off):
            if let o = off ?? cal.utcOffset(z, l) { return .instant(l.secondsSinceEpoch - o) }
            return .floating(l)
        case .floating(let l):
            if let z = floatingZone, let o = cal.utcOffset(z, l) { return .instant(l.secondsSinceEpoch - o) }
            return .floating(l)
        }
    }

    /// `e` is `entry.event`, which has no attendees or alarms: `entry` holds their compared form.
    private func occurrence(_ e: Event, _ entry: Entry, start: EventTime, end: EventTime?, uid: String, recurrenceID: TimeKey,
                            cal: LoadedCalendar, floatingZone: String?) -> Occurrence {
        var f: [String: String] = [:]
        f["start"] = timeKey(start, cal: cal, floatingZone: floatingZone).description
        f["end"] = end.map { timeKey($0, cal: cal, floatingZone: floatingZone).description } ?? f["start"]
        f["summary"] = Verifier.text(e.summary)
        f["location"] = Verifier.text(e.location)
        f["description"] = Verifier.text(e.description)
        f["status"] = (e.status ?? .confirmed).rawValue
        f["transparency"] = (e.transparency ?? .opaque).rawValue
        f["attendees"] = entry.attendees
        f["reminders"] = entry.reminders
        return Occurrence(uid: uid, recurrenceID: recurrenceID, fields: f)
    }

    /// `SeriesShapes.repair` (without making series) on entries, one UID with overrides at a
    /// time, as `CalendarLoader` applies it to the events of an .ics.
    static func repairShapes(_ entries: inout [Entry], report: (Diagnostic) -> Void) {
        var byUID: [String: [Int]] = [:]
        var order: [String] = []
        for i in entries.indices where entries[i].recurrenceID != nil {
            guard let uid = entries[i].uid else { continue }
            if byUID[uid] == nil { order.append(uid) }
            byUID[uid] = []
        }
        guard !order.isEmpty else { return }
        for i in entries.indices {
            if let uid = entries[i].uid, byUID[uid] != nil { byUID[uid]!.append(i) }
        }
        for uid in order {
            let list = byUID[uid]!
            var events = list.map { entries[$0].event }
            SeriesShapes.repair(&events, makingSeries: false, report: report)
            for (k, i) in list.enumerated() { entries[i] = entries[i].with(events[k]) }
        }
    }

    static func text(_ s: String?) -> String {
        (s ?? "").replacingCRLF().trimmingTrailingWhitespace()
    }

    static func reminder(_ a: Alarm) -> String {
        switch a.trigger {
        case .relative(let d, let end)?: return "\(a.action) \(d.totalSeconds)s\(end ? " from end" : "")"
        case .absolute(let t)?: return "\(a.action) at \(t.extendedFormat)Z"
        case nil: return a.action.text
        }
    }
}

extension String {
    func replacingCRLF() -> String {
        guard contains("\r") else { return self }
        var out = ""
        for c in self { if c == "\r\n" || c == "\r" { out += "\n" } else { out.append(c) } }
        return out
    }

    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
