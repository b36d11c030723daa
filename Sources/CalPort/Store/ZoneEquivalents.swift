import CalendarModel
import GoogleCalendar
import ICalendar
import SystemSupport

/// Local stores that read VTIMEZONEs: their definitions, so that a mapping to Google can name
/// the IANA zone an input zone stands for ("Canberra, Melbourne, Sydney" → Australia/Sydney),
/// as `convert` and `push` do with the reader of the file they read.
public protocol ZoneDefiningStore {
    var zoneDefinitions: [TimeZoneDefinition] { get }
}

extension ICSFolderStore: ZoneDefiningStore {}
extension ICSFileStore: ZoneDefiningStore {}

/// The IANA equivalents of a set of VTIMEZONEs, by the reader's own zone matching (the rules
/// compared with the tz database around the year asked for).
final class ZoneEquivalents: @unchecked Sendable {
    private let reader: ICalendarReader
    private let lock = Lock()

    init(_ definitions: [TimeZoneDefinition]) {
        var text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calport//zones//EN\r\n"
        for d in definitions { for l in d.lines { text += l + "\r\n" } }
        text += "END:VCALENDAR\r\n"
        reader = ICalendarReader(bytes: Array(text.utf8), name: "<zones>", diagnostics: DiagnosticCollector())
        while (try? reader.next()) != nil {}
    }

    func iana(_ tzid: String, year: Int) -> String? {
        lock.withLock { reader.ianaEquivalent(ofInputZone: tzid, around: year) }
    }

    /// The zone's offset at a wall time: the definitions first, then the tz database.
    func utcOffset(_ tzid: String, at local: LocalDateTime) -> Int? {
        lock.withLock { reader.utcOffset(tzid: tzid, at: local) } ?? TimeZoneNames.utcOffset(tzid: tzid, at: local)
    }
}
