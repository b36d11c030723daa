import CalendarModel

extension GoogleEventMapper {
    /// Google lists a cancelled occurrence of a series as a bare event (`status: cancelled`,
    /// `recurringEventId`, `originalStartTime`). iCalendar says the same with an EXDATE on the
    /// series: this folds each such tombstone into its series when the series is in `items`.
    /// Tombstones whose series is absent are kept (they become cancelled overrides).
    public func foldingCancelledOccurrences(_ items: [GoogleEvent], report: (Diagnostic) -> Void) -> [GoogleEvent] {
        var out = items
        foldCancelledOccurrences(in: &out, report: report)
        return out
    }

    /// `foldingCancelledOccurrences` in place, so a long list is not copied.
    public func foldCancelledOccurrences(in items: inout [GoogleEvent], report: (Diagnostic) -> Void) {
        let keyed = items.enumerated().compactMap { i, g in OccurrenceKey(g).map { (index: i, key: $0) } }
        let plan = cancelledOccurrencePlan(keyed, report: report)
        guard !plan.drop.isEmpty else { return }
        for (i, recurrence) in plan.recurrence { items[i].recurrence = recurrence }
        var kept = 0
        for i in items.indices where !plan.drop.contains(i) {
            if kept != i { items.swapAt(kept, i) }
            kept += 1
        }
        items.removeLast(items.count - kept)
    }

    /// What folding does to a list of items: the tombstones it drops (by index) and the
    /// series' recurrence lists it changes (by index). Takes the `OccurrenceKey` of each item
    /// that has one, in index order, so a reader that streams the items keeps only those.
    public func cancelledOccurrencePlan(_ items: [(index: Int, key: OccurrenceKey)], report: (Diagnostic) -> Void) -> (drop: Set<Int>, recurrence: [Int: [String]?]) {
        var byId: [String: Int] = [:]
        var byUID: [String: Int] = [:]
        var keys: [Int: OccurrenceKey] = [:]
        for (i, g) in items where g.recurrence?.isEmpty == false && g.originalStartTime == nil {
            keys[i] = g
            // The first series of an id or UID takes its tombstones (a file may repeat a series).
            if let id = g.id, byId[id] == nil { byId[id] = i }
            if let uid = g.iCalUID, byUID[uid] == nil { byUID[uid] = i }
        }
        var drop: Set<Int> = []
        var recurrence: [Int: [String]?] = [:]
        for (i, g) in items where g.status == "cancelled" {
            guard let original = g.originalStartTime else { continue }
            guard let m = g.recurringEventId.flatMap({ byId[$0] }) ?? g.iCalUID.flatMap({ byUID[$0] }) else { continue }
            guard let t = eventTime(original, "originalStartTime", { s, msg in report(Diagnostic(s, msg, uid: g.iCalUID ?? g.id)) }) else { continue }
            let line = Property(name: "EXDATE", parameters: t.icalParameters, value: t.icalValue).contentLine
            var lines = recurrence[m] ?? keys[m]?.recurrence
            if lines?.contains(line) == false { lines?.append(line) }
            recurrence[m] = .some(lines)
            drop.insert(i)
        }
        return (drop, recurrence)
    }
}

/// What folding cancelled occurrences reads of an item; nil for items it does not read
/// (neither a series nor cancelled).
public struct OccurrenceKey: Sendable {
    public var id: String?
    public var iCalUID: String?
    public var status: String?
    public var recurringEventId: String?
    public var recurrence: [String]?
    public var originalStartTime: EventDateTime?

    public init?(_ g: GoogleEvent) {
        self.init(id: g.id, iCalUID: g.iCalUID, status: g.status, recurringEventId: g.recurringEventId,
                  recurrence: g.recurrence, originalStartTime: g.originalStartTime)
    }

    public init?(id: String?, iCalUID: String?, status: String?, recurringEventId: String?, recurrence: [String]?,
                 originalStartTime: EventDateTime?) {
        guard (recurrence?.isEmpty == false && originalStartTime == nil) || status == "cancelled" else { return nil }
        self.id = id
        self.iCalUID = iCalUID
        self.status = status
        self.recurringEventId = recurringEventId
        self.recurrence = recurrence
        self.originalStartTime = originalStartTime
    }
}
