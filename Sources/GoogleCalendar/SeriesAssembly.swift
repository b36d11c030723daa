import CalendarModel

extension GoogleEventMapper {
    /// Google lists a cancelled occurrence of a series as a bare event (`status: cancelled`,
    /// `recurringEventId`, `originalStartTime`). iCalendar says the same with an EXDATE on the
    /// series: this folds each such tombstone into its series when the series is in `items`.
    /// Tombstones whose series is absent are kept (they become cancelled overrides).
    public func foldingCancelledOccurrences(_ items: [GoogleEvent], report: (Diagnostic) -> Void) -> [GoogleEvent] {
        var out = items
        var byId: [String: Int] = [:]
        var byUID: [String: Int] = [:]
        for (i, g) in items.enumerated() where g.recurrence?.isEmpty == false && g.originalStartTime == nil {
            if let id = g.id { byId[id] = i }
            if let uid = g.iCalUID, byUID[uid] == nil { byUID[uid] = i }
        }
        var drop: Set<Int> = []
        for (i, g) in items.enumerated() where g.status == "cancelled" {
            guard let original = g.originalStartTime else { continue }
            guard let m = g.recurringEventId.flatMap({ byId[$0] }) ?? g.iCalUID.flatMap({ byUID[$0] }) else { continue }
            guard let t = eventTime(original, "originalStartTime", { s, msg in report(Diagnostic(s, msg, uid: g.iCalUID ?? g.id)) }) else { continue }
            let line = Property(name: "EXDATE", parameters: t.icalParameters, value: t.icalValue).contentLine
            if out[m].recurrence?.contains(line) == false { out[m].recurrence?.append(line) }
            drop.insert(i)
        }
        return out.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }
}
