/// The data formats calport converts between.
public enum Format: String, CaseIterable, Sendable {
    /// An iCalendar VCALENDAR (RFC 5545).
    case ics
    /// A Google `calendar#events` object (`summary`, `timeZone`, `items`).
    case json
    /// One Google Event resource per line.
    case ndjson

    /// Guesses from a file name; nil when the extension says nothing.
    public init?(pathExtensionOf path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".ics") || lower.hasSuffix(".ical") || lower.hasSuffix(".ifb") { self = .ics }
        else if lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl") { self = .ndjson }
        else if lower.hasSuffix(".json") { self = .json }
        else { return nil }
    }

    /// Detects the format from the first bytes of the input.
    public static func detect(prefix: [UInt8]) -> Format? {
        // JSON in UTF-16 (as some Windows tools save it): Foundation's decoder reads it whole.
        if prefix.starts(with: [0xFF, 0xFE]) || prefix.starts(with: [0xFE, 0xFF]) {
            let littleEndian = prefix[0] == 0xFF
            let units = stride(from: 2, to: prefix.count - 1, by: 2).map { k in
                littleEndian ? UInt16(prefix[k]) | UInt16(prefix[k + 1]) << 8 : UInt16(prefix[k]) << 8 | UInt16(prefix[k + 1])
            }
            let first = String(decoding: units, as: UTF16.self).first { !$0.isWhitespace }
            return first == "{" || first == "[" ? .json : nil
        }
        var i = 0
        if prefix.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < prefix.count, [0x20, 0x09, 0x0A, 0x0D].contains(prefix[i]) { i += 1 }
        guard i < prefix.count else { return nil }
        switch prefix[i] {
        case UInt8(ascii: "["): return .json
        case UInt8(ascii: "{"):
            // One complete object on the first line that is not an events list: NDJSON.
            let firstLine = prefix[i...].prefix { $0 != 0x0A }
            let text = String(decoding: firstLine, as: UTF8.self)
            if text.contains("\"calendar#events\"") || text.contains("\"items\"") { return .json }
            if firstLine.count < prefix.count - i, JSONCodec.isCompleteObject(Array(firstLine)) { return .ndjson }
            return .json
        default:
            let head = String(decoding: prefix[i...].prefix(64), as: UTF8.self).uppercased()
            return head.hasPrefix("BEGIN:") ? .ics : nil
        }
    }
}
