import CalendarModel

/// A model value <-> Google's string for it: one table, read both ways, so the two directions
/// cannot disagree (as gdata-provider's ATTENDEE_STATUS_MAP and its reverse). The iCalendar
/// text is the model value's own (`Status.rawValue`, `EnumeratedValue.text`).
struct ValueTable<Model: Equatable & Sendable>: Sendable {
    let rows: [(model: Model, google: String)]

    init(_ rows: [(model: Model, google: String)]) { self.rows = rows }

    /// Google's string for a model value; nil when Google has none.
    func google(_ value: Model?) -> String? {
        guard let value else { return nil }
        return rows.first { $0.model == value }?.google
    }

    /// The model value for Google's string (read without regard to case, as the iCalendar
    /// side is); nil when the table has none.
    func model(_ google: String?) -> Model? {
        guard let google else { return nil }
        // Google writes its own spelling: found by plain equality first, which compares small
        // strings at once. The table's strings differ from each other in more than case
        // (a test holds it to that), so no earlier row could match without regard to case.
        if let row = rows.first(where: { $0.google == google }) { return row.model }
        return rows.first { $0.google.caseInsensitiveEquals(google) }?.model
    }
}

/// The event-level values, iCalendar <-> Google.
enum EventValues {
    /// STATUS <-> status.
    static let status = ValueTable<Status>([(.tentative, "tentative"), (.confirmed, "confirmed"), (.cancelled, "cancelled")])
    /// TRANSP <-> transparency.
    static let transparency = ValueTable<Transparency>([(.opaque, "opaque"), (.transparent, "transparent")])
    /// CLASS <-> visibility. Google's "default" (the calendar's setting) is no CLASS, and
    /// CLASS:PUBLIC is written as "default" (`GoogleEventMapper`), so "public" is read only.
    static let visibility = ValueTable<Classification>([(.public, "public"), (.private, "private"), (.confidential, "confidential")])
}
