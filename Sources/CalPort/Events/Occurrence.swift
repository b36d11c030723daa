import CalendarModel
import GoogleCalendar
import ICalendar

/// One occurrence of a series, as Google would hold it had nobody changed it: found by expanding
/// the series around the occurrence's original start (`EventKey.instance`'s form) and mapped
/// like any event. Push uses it for occurrences deleted in Google that come back, sync for an
/// override removed on one side (the occurrence goes back to the series' time and content).
enum SeriesOccurrence {
    /// Nil when the series makes no occurrence at `stamp` (excluded, or not on its rule).
    static func google(of series: Event, at stamp: String, mapper: GoogleEventMapper,
                       utcOffset: (String, LocalDateTime) -> Int?) -> GoogleEvent? {
        guard series.isRecurring, series.recurrenceID == nil, let t = EventKey.seconds(ofStamp: stamp) else { return nil }
        // A day either side covers all-day and floating occurrences, compared by wall time.
        let r = RecurrenceExpander.expand(series, windowStart: t - 2 * 86_400, windowEnd: t + 2 * 86_400, limit: 100,
                                          utcOffset: utcOffset)
        for o in r.occurrences {
            var e = series
            e.recurrenceID = o.recurrenceID
            e.start = o.start
            e.end = o.end
            e.duration = nil
            e.recurrenceRules = []
            e.exceptionRules = []
            e.recurrenceDates = []
            e.exceptionDates = []
            let g = mapper.googleEvent(from: e) { _ in }
            if let original = g.originalStartTime, EventKey.stamp(original) == stamp { return g }
        }
        return nil
    }
}
