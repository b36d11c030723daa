import CalendarModel
import GoogleAPI
import GoogleCalendar

/// A Google calendar as one side of `calport verify`: `google:CALENDAR_ID`.
public enum GoogleCalendarSide {
    public static let prefix = "google:"

    /// The calendar id of a `google:ID` argument; nil for anything else (a file).
    public static func calendarId(_ argument: String) -> String? {
        guard argument.hasPrefix(prefix) else { return nil }
        let id = String(argument.dropFirst(prefix.count))
        return id.isEmpty ? nil : id
    }

    /// Lists the calendar as `calport pull` does and maps it as the .ics would carry it (its
    /// texts through `texts` when given, as `CalendarLoader.load` takes them).
    public static func load(calendarId: String, api: GoogleCalendarAPI, mapping: MappingOptions,
                            diagnostics: DiagnosticSink, texts: Verifier.TextPool? = nil) async throws -> LoadedCalendar {
        let listing = try await GoogleCalendarStore(api: api, calendarId: calendarId).list(since: nil)
        return CalendarRenderer.loaded(listing.entries.compactMap(\.item), info: listing.info, mapping: mapping, diagnostics: diagnostics,
                                       texts: texts)
    }
}
