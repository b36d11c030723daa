import HTTP
import ICalendar

/// Versions of calport and the C libraries it is linked against, for `--version`.
public enum Versions {
    public static let calport = "0.1.0"
    public static var summary: String {
        "calport \(calport) (libical \(ICalendarLibrary.version), libcurl \(Curl.version))"
    }
}
