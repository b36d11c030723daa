import CalendarModel

/// Resolves TZIDs: first against the VTIMEZONEs of the input, then against the system tz
/// database (through libical's built-in zones).
final class TimeZoneRegistry {
    private var fromInput: [String: LibicalZone] = [:]
    private var builtin: [String: LibicalZone?] = [:]
    private(set) var definitions: [String: TimeZoneDefinition] = [:]

    func register(_ definition: TimeZoneDefinition, zone: LibicalZone) {
        fromInput[definition.tzid] = zone
        definitions[definition.tzid] = definition
    }

    func zone(for tzid: String) -> LibicalZone? {
        if let z = fromInput[tzid] { return z }
        if let cached = builtin[tzid] { return cached }
        let z = LibicalZone(builtin: tzid) ?? TimeZoneRegistry.ianaSuffix(of: tzid).flatMap { LibicalZone(builtin: $0) }
        builtin[tzid] = z
        return z
    }

    private var reportedUnknown: Set<String> = []

    /// True the first time an unknown TZID is asked about, so it is reported once.
    func firstReportOfUnknown(_ tzid: String) -> Bool { reportedUnknown.insert(tzid).inserted }

    /// Whether the TZID came with a VTIMEZONE in the input.
    func isDefinedInInput(_ tzid: String) -> Bool { fromInput[tzid] != nil }

    /// `/mozilla.org/20050126_1/Europe/Berlin` and similar vendor prefixes name an IANA zone
    /// in their last one to three path segments.
    static func ianaSuffix(of tzid: String) -> String? {
        guard tzid.hasPrefix("/") else { return nil }
        let parts = tzid.split(separator: "/")
        for n in [3, 2, 1] where parts.count >= n {
            let candidate = parts.suffix(n).joined(separator: "/")
            if candidate.first?.isUppercase == true, LibicalZone(builtin: candidate) != nil { return candidate }
        }
        return nil
    }
}
