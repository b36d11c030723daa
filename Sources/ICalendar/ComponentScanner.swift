import CalendarModel

/// A component's lines as they came (unfolded), with where it started.
struct RawComponentText {
    var name: String
    var lines: [LogicalLine]
    var startLine: Int
    /// The input ended (or the calendar closed) before END:<name>.
    var truncated: Bool

    /// The component's text, as its lines came.
    var text: String { joined { _ in true } }

    /// The text handed to libical: the component's BEGIN and END lines and the properties
    /// whose values calport reads through libical (`LibicalComponent.typedValues`) or whose
    /// syntax libical checks for it (recurrence rules; an alarm's TRIGGER and REPEAT, which
    /// `Alarm` reads). Text, addresses and unknown
    /// properties come from calport's own tokens, so libical need not parse them.
    var typedText: String { joined { RawComponentText.libicalReads($0.bytes) } }

    /// The lines that pass `include`, each ended by CRLF, and END:<name> when truncated.
    private func joined(_ include: (LogicalLine) -> Bool) -> String {
        var b: [UInt8] = []
        b.reserveCapacity(lines.reduce(0) { $0 + $1.bytes.count + 2 } + name.utf8.count + 8)
        for l in lines where include(l) {
            b += l.bytes
            b.append(0x0D)
            b.append(0x0A)
        }
        if truncated { b += Array("END:\(name)\r\n".utf8) }
        return String(decoding: b, as: UTF8.self)
    }

    /// Property names whose lines go to libical, beside BEGIN and END, packed as by
    /// `packedName` (none is longer than 16 bytes).
    static let libicalProperties: [(UInt64, UInt64)] = [
        "BEGIN", "END", "DTSTART", "DTEND", "RECURRENCE-ID", "DURATION", "CREATED", "LAST-MODIFIED", "DTSTAMP",
        "SEQUENCE", "PRIORITY", "EXDATE", "RDATE", "RRULE", "EXRULE", "TRIGGER", "REPEAT",
    ].map { packedName(Array(($0 + ":").utf8))! }

    /// A line's property name (the bytes before the first `;` or `:`), upper-cased, in two
    /// words; nil when no `;` or `:` ends it within 16 bytes.
    static func packedName(_ line: [UInt8]) -> (UInt64, UInt64)? {
        var words: (UInt64, UInt64) = (0, 0)
        for (i, c) in line.prefix(17).enumerated() {
            if c == UInt8(ascii: ";") || c == UInt8(ascii: ":") { return i > 0 ? words : nil }
            guard i < 16 else { return nil }
            let u = UInt64(c >= 0x61 && c <= 0x7A ? c - 0x20 : c) << (8 * UInt64(i % 8))
            if i < 8 { words.0 |= u } else { words.1 |= u }
        }
        return nil
    }

    /// Whether a line's property name is one libical reads; a line without a name is not.
    static func libicalReads(_ line: [UInt8]) -> Bool {
        guard let name = packedName(line) else { return false }
        return libicalProperties.contains { $0 == name }
    }
}

/// A component's content lines as a tree (VEVENT with its VALARMs).
struct RawComponent {
    var name: String
    var properties: [ContentLine] = []
    var children: [RawComponent] = []
    var startLine: Int
    /// Lines that are not content lines, with their numbers.
    var malformed: [Int] = []

    init(name: String, startLine: Int) {
        self.name = name
        self.startLine = startLine
    }

    /// Builds the tree from a component's lines (the first is its BEGIN line).
    init(_ raw: RawComponentText) {
        var stack: [RawComponent] = []
        var root: RawComponent?
        for l in raw.lines {
            guard let cl = ContentLine(bytes: l.bytes, line: l.number) else {
                if !stack.isEmpty { stack[stack.count - 1].malformed.append(l.number) }
                continue
            }
            if cl.name == "BEGIN" {
                stack.append(RawComponent(name: cl.value.uppercased(), startLine: l.number))
            } else if cl.name == "END" {
                guard let done = stack.popLast() else { continue }
                if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
            } else if !stack.isEmpty {
                stack[stack.count - 1].properties.append(cl)
            }
        }
        while let done = stack.popLast() {
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
        self = root ?? RawComponent(name: raw.name, startLine: raw.startLine)
    }
}

/// Splits a stream of content lines into calendar properties and whole top-level
/// components, so each component can be parsed (and later mapped) on its own while
/// memory stays bounded by the largest component.
struct ComponentScanner {
    enum Item {
        case calendarBegin(line: Int)
        case calendarProperty(ContentLine)
        case component(RawComponentText)
        case calendarEnd(line: Int)
        case strayLine(Int)
        case tooDeep(name: String, line: Int)
    }

    static let maximumDepth = 32

    private let reader: LineReader
    /// Between BEGIN:VCALENDAR and its END (at the end of the input: the file was cut short).
    private(set) var insideCalendar = false

    init(reader: LineReader) { self.reader = reader }

    private static func beginEnd(_ bytes: [UInt8]) -> (begin: Bool, name: String)? {
        // Fast check for "BEGIN:" / "END:" (case-insensitive) without a full tokenise.
        func has(_ prefix: StaticString) -> Bool {
            let n = prefix.utf8CodeUnitCount
            guard bytes.count > n else { return false }
            let p = prefix.utf8Start
            for i in 0..<n where bytes[i] & 0xDF != p[i] & 0xDF { return false }
            return true
        }
        if has("BEGIN:") { return (true, trimmedUpper(bytes.dropFirst(6))) }
        if has("END:") { return (false, trimmedUpper(bytes.dropFirst(4))) }
        return nil
    }

    private static func trimmedUpper(_ s: ArraySlice<UInt8>) -> String {
        String(decoding: s, as: UTF8.self).trimmingSpaces().uppercased()
    }

    mutating func next() throws -> Item? {
        while let line = try reader.next() {
            let be = ComponentScanner.beginEnd(line.bytes)
            if !insideCalendar {
                if let be, be.begin, be.name == "VCALENDAR" {
                    insideCalendar = true
                    return .calendarBegin(line: line.number)
                }
                if let be, be.begin {
                    // A bare component with no VCALENDAR around it: read it anyway.
                    return try collect(name: be.name, first: line)
                }
                return .strayLine(line.number)
            }
            if let be {
                if be.begin { return try collect(name: be.name, first: line) }
                if be.name == "VCALENDAR" {
                    insideCalendar = false
                    return .calendarEnd(line: line.number)
                }
                return .strayLine(line.number)
            }
            if let cl = ContentLine(line.text, line: line.number) { return .calendarProperty(cl) }
            return .strayLine(line.number)
        }
        return nil
    }

    private mutating func collect(name: String, first: LogicalLine) throws -> Item {
        var lines = [first]
        var stack = [name]
        while let line = try reader.next() {
            if let be = ComponentScanner.beginEnd(line.bytes) {
                if be.begin {
                    stack.append(be.name)
                    if stack.count > ComponentScanner.maximumDepth {
                        // Skip to the end of this top-level component.
                        try skip(depth: stack.count)
                        return .tooDeep(name: name, line: first.number)
                    }
                } else if be.name == "VCALENDAR" && name != "VCALENDAR" {
                    insideCalendar = false
                    return .component(RawComponentText(name: name, lines: lines, startLine: first.number, truncated: true))
                } else if let i = stack.lastIndex(of: be.name) {
                    stack.removeSubrange(i...)
                }
                lines.append(line)
                if stack.isEmpty {
                    return .component(RawComponentText(name: name, lines: lines, startLine: first.number, truncated: false))
                }
                continue
            }
            lines.append(line)
        }
        return .component(RawComponentText(name: name, lines: lines, startLine: first.number, truncated: true))
    }

    private mutating func skip(depth start: Int) throws {
        var depth = start
        while let line = try reader.next() {
            guard let be = ComponentScanner.beginEnd(line.bytes) else { continue }
            if be.begin { depth += 1; continue }
            if be.name == "VCALENDAR" { insideCalendar = false; return }
            depth -= 1
            if depth == 0 { return }
        }
    }
}
