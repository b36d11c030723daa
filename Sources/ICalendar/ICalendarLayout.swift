/// An iCalendar file cut into its top-level pieces, each as the exact bytes it came as, so a
/// program can rewrite some components and keep everything else byte for byte (the .ics file
/// store rewrites the VEVENTs it changed and keeps VTODOs, VTIMEZONEs and calendar properties
/// as they were). Lines are cut as the reader cuts them (`ComponentScanner`), so a piece's
/// `startLine` is the line `ICalendarReader` gives for the same component.
public struct ICalendarLayout: Sendable {
    public enum Kind: Sendable, Equatable {
        /// From the first byte to the first component: BEGIN:VCALENDAR and the calendar properties.
        case head
        /// A top-level component (VEVENT, VTODO, VTIMEZONE, …), its name upper-cased.
        case component(String)
        /// Lines after a component that belong to none (a calendar property written late, a
        /// stray line, a second BEGIN:VCALENDAR).
        case other
        /// The last END:VCALENDAR and what follows it.
        case tail
    }

    public struct Piece: Sendable {
        public var kind: Kind
        /// The 1-based line the piece starts on.
        public var startLine: Int
        /// Its bytes, line ends and folding as they came.
        public var bytes: [UInt8]
        /// For a component, the value of its own UID property (nil when it has none).
        public var uid: String?
        /// For a component: the input ended before its END line.
        public var truncated: Bool
    }

    public private(set) var pieces: [Piece] = []
    /// The input holds a BEGIN:VCALENDAR.
    public private(set) var hasCalendar = false

    public init(bytes: [UInt8]) throws {
        // Where each physical line starts, with CRLF, LF and CR line ends as LineReader reads them.
        var lineStart = [0, 0]  // lineStart[k]: offset of line k (1-based)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0D || c == 0x0A {
                if c == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                lineStart.append(i + 1)
            }
            i += 1
        }
        func offset(_ line: Int) -> Int { line < lineStart.count ? lineStart[line] : bytes.count }

        var starts: [(kind: Kind, line: Int, uid: String?, truncated: Bool)] = [(.head, 1, nil, false)]
        var scanner = ComponentScanner(reader: LineReader(.bytes(bytes)))
        var lastEnd: Int?
        while let item = try scanner.next() {
            switch item {
            case .calendarBegin(let line):
                if hasCalendar { starts.append((.other, line, nil, false)) }
                hasCalendar = true
            case .calendarProperty(let p):
                if case .component = starts[starts.count - 1].kind { starts.append((.other, p.line, nil, false)) }
            case .strayLine(let line):
                if case .component = starts[starts.count - 1].kind { starts.append((.other, line, nil, false)) }
            case .component(let raw):
                let uid = raw.name == "VEVENT" || raw.name == "VTODO" || raw.name == "VJOURNAL" ? RawComponent(raw).properties.first { $0.name == "UID" }?.value : nil
                starts.append((.component(raw.name), raw.startLine, uid, raw.truncated))
            case .tooDeep(let name, let line):
                starts.append((.component(name), line, nil, true))
            case .calendarEnd(let line):
                starts.append((.other, line, nil, false))
                lastEnd = starts.count - 1
            }
        }
        if let lastEnd { starts[lastEnd].kind = .tail }
        for (n, s) in starts.enumerated() {
            let from = offset(s.line), to = n + 1 < starts.count ? offset(starts[n + 1].line) : bytes.count
            if n == 0 && to == 0 { continue }  // the file starts with a component
            pieces.append(Piece(kind: s.kind, startLine: s.line, bytes: Array(bytes[from..<max(from, to)]), uid: s.uid, truncated: s.truncated))
        }
    }
}
