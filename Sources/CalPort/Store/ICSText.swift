import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// An .ics text cut into what the local stores keep apart: the calendar's own lines, its
/// VTIMEZONEs, the other components (VTODO, VJOURNAL, …) and the VEVENTs by UID, each as the
/// lines it was written with. What a store does not change is written back byte for byte.
struct ICSText: Sendable {
    struct Block: Sendable {
        var name: String
        var lines: [String]
        /// 1-based line of BEGIN, for messages.
        var line: Int
        var uid: String?
        var tzid: String?
    }

    /// Lines of the VCALENDAR outside any component (VERSION, PRODID, X-WR-CALNAME, …).
    var header: [String] = []
    var blocks: [Block] = []
    /// Text outside BEGIN:VCALENDAR … END:VCALENDAR, or a second VCALENDAR: the file is then
    /// not one calendar calport can rewrite safely.
    var problem: String?

    init() {}

    init(_ text: String) {
        // By scalars: "\r\n" is one Character, which a split on "\n" would never see.
        var lines = text.unicodeScalars.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { line -> String in
            var s = String(String.UnicodeScalarView(line))
            if s.unicodeScalars.last == "\r" { s.unicodeScalars.removeLast() }
            return s
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        var depth = 0
        var current: Block?
        var sawCalendar = false
        for (i, line) in lines.enumerated() {
            let upper = line.uppercased()
            if upper.hasPrefix("BEGIN:") {
                depth += 1
                if depth == 1 {
                    if upper != "BEGIN:VCALENDAR" || sawCalendar { problem = problem ?? "line \(i + 1): \(line) where one VCALENDAR was expected" }
                    sawCalendar = true
                    continue
                }
                if depth == 2 {
                    current = Block(name: String(upper.dropFirst(6)), lines: [line], line: i + 1)
                    continue
                }
            } else if upper.hasPrefix("END:") {
                depth -= 1
                if depth == 1, var b = current {
                    b.lines.append(line)
                    b.uid = Self.value(of: "UID", in: b.lines)
                    b.tzid = b.name == "VTIMEZONE" ? Self.value(of: "TZID", in: b.lines) : nil
                    blocks.append(b)
                    current = nil
                    continue
                }
                if depth == 0 { continue }
            }
            if depth >= 2 {
                current?.lines.append(line)
            } else if depth == 1 {
                header.append(line)
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                problem = problem ?? "line \(i + 1): text outside BEGIN:VCALENDAR … END:VCALENDAR"
            }
        }
        if depth != 0 { problem = problem ?? "the calendar does not end (END:VCALENDAR is missing)" }
    }

    /// The value of a top-level property of a component (the first, unfolded), e.g. its UID.
    static func value(of name: String, in lines: [String]) -> String? {
        var depth = 0
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let upper = line.uppercased()
            if upper.hasPrefix("BEGIN:") { depth += 1 } else if upper.hasPrefix("END:") { depth -= 1 }
            if depth == 1, upper.hasPrefix(name + ":") || upper.hasPrefix(name + ";") {
                var text = line
                while i + 1 < lines.count, let c = lines[i + 1].first, c == " " || c == "\t" {
                    text += lines[i + 1].dropFirst()
                    i += 1
                }
                guard let colon = text.firstIndex(of: ":") else { return nil }
                return String(text[text.index(after: colon)...])
            }
            i += 1
        }
        return nil
    }

    var timeZones: [Block] { blocks.filter { $0.name == "VTIMEZONE" } }

    /// One VCALENDAR holding the header, the zones and these blocks.
    static func calendar(header: [String], blocks: [[String]]) -> String {
        var out = "BEGIN:VCALENDAR\r\n"
        for l in header { out += l + "\r\n" }
        for b in blocks { for l in b { out += l + "\r\n" } }
        return out + "END:VCALENDAR\r\n"
    }
}

/// Reading and writing the events of one UID, shared by the folder and the file store.
struct ICSCodec: Sendable {
    var mapping = MappingOptions()

    /// The events of an .ics text; an error the reader reports makes the whole text unreadable
    /// (a message naming `name` and the line), never a calendar with an event fewer.
    func events(_ text: String, name: String) -> Result<(events: [Event], info: CalendarInfo), UnreadableText> {
        let diagnostics = DiagnosticCollector()
        let reader = ICalendarReader(bytes: Array(text.utf8), name: name, naming: .calport(mapping), diagnostics: diagnostics)
        var events: [Event] = []
        var info = CalendarInfo()
        do {
            while let item = try reader.next() {
                switch item {
                case .calendar(let i): info = i
                case .event(let e, let line):
                    if let why = e.rejection { return .failure(UnreadableText(message: "\(name): line \(line ?? 0): \(why)")) }
                    events.append(e)
                case .timeZone, .skipped: break
                }
            }
        } catch {
            return .failure(UnreadableText(message: "\(error)"))
        }
        if let bad = diagnostics.diagnostics.first(where: { $0.severity == .error }) {
            var d = bad
            d.file = d.file ?? name
            return .failure(UnreadableText(message: d.description))
        }
        SeriesShapes.repair(&events, makingSeries: false) { _ in }
        return .success((events, info))
    }

    /// The VTIMEZONE and VEVENT blocks calport writes for these events (series first).
    func blocks(_ events: [Event]) -> [ICSText.Block] {
        var text = ""
        let writer = ICalendarWriter(fallbackTimestamp: Self.now, diagnostics: DiagnosticCollector()) { text += $0 }
        do {
            for e in Self.ordered(events) { try writer.write(e) }
            try writer.end()
        } catch {
            return []
        }
        return ICSText(text).blocks
    }

    /// A whole file for one UID.
    func file(_ events: [Event], header: [String] = ICSCodec.header) -> String {
        ICSText.calendar(header: header, blocks: blocks(events).map(\.lines))
    }

    static let header = ["VERSION:2.0", "PRODID:" + ICalendarWriter.productID, "CALSCALE:GREGORIAN"]

    /// The series (or single event) first, then overrides by RECURRENCE-ID.
    static func ordered(_ events: [Event]) -> [Event] {
        events.enumerated().sorted { a, b in
            let x = a.element.recurrenceID.map { $0.icalValue } ?? "", y = b.element.recurrenceID.map { $0.icalValue } ?? ""
            return x == y ? a.offset < b.offset : x < y
        }.map(\.element)
    }

    static var now: LocalDateTime { LocalDateTime(secondsSinceEpoch: Int(Date().timeIntervalSince1970)) }

    static func digest(_ bytes: [UInt8]) -> String { SHA256Digest.hex(SHA256Digest.hash(bytes)) }
}

struct UnreadableText: Error, Sendable {
    var message: String
}
