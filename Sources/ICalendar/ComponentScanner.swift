import CalendarModel

/// A component's lines as they came (unfolded), with where it started: the lines' bytes back
/// to back in one buffer, and where each line is in it (one allocation per component, not one
/// per line).
struct RawComponentText {
    var name: String
    /// The lines' bytes, one after another (no line ends).
    var storage: [UInt8]
    /// Each line's place in `storage` and the number of its first physical line.
    var spans: [Span]
    var startLine: Int
    /// The input ended (or the calendar closed) before END:<name>.
    var truncated: Bool

    struct Span {
        var start: Int
        var end: Int
        var number: Int
    }

    init(name: String, storage: [UInt8], spans: [Span], startLine: Int, truncated: Bool) {
        self.name = name
        self.storage = storage
        self.spans = spans
        self.startLine = startLine
        self.truncated = truncated
    }

    /// From separate lines (tests, and anything that has them so).
    init(name: String, lines: [LogicalLine], startLine: Int, truncated: Bool) {
        var storage: [UInt8] = []
        var spans: [Span] = []
        for l in lines {
            spans.append(Span(start: storage.count, end: storage.count + l.bytes.count, number: l.number))
            storage += l.bytes
        }
        self.init(name: name, storage: storage, spans: spans, startLine: startLine, truncated: truncated)
    }

    /// The lines, each with its own bytes.
    var lines: [LogicalLine] { spans.map { LogicalLine(bytes: Array(storage[$0.start..<$0.end]), number: $0.number) } }

    /// Calls `body` with each line's bytes and number, in order.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) rethrows {
        try storage.withUnsafeBufferPointer { b in
            for s in spans { try body(UnsafeBufferPointer(rebasing: b[s.start..<s.end]), s.number) }
        }
    }

    /// The component's text, as its lines came.
    var text: String { joined { _ in true } }

    /// The text handed to libical: the component's BEGIN and END lines and the properties
    /// whose values calport reads through libical (`LibicalComponent.typedValues`) or whose
    /// syntax libical checks for it (recurrence rules; an alarm's TRIGGER and REPEAT, which
    /// `Alarm` reads). Text, addresses and unknown
    /// properties come from calport's own tokens, so libical need not parse them.
    var typedText: String { joined { RawComponentText.libicalReads($0) } }

    /// The lines that pass `include`, each ended by CRLF, and END:<name> when truncated.
    private func joined(_ include: (UnsafeBufferPointer<UInt8>) -> Bool) -> String {
        var b: [UInt8] = []
        b.reserveCapacity(storage.count + 2 * spans.count + name.utf8.count + 8)
        forEachLine { line, _ in
            guard include(line) else { return }
            b.append(contentsOf: line)
            b.append(0x0D)
            b.append(0x0A)
        }
        if truncated { b += Array("END:\(name)\r\n".utf8) }
        return String(decoding: b, as: UTF8.self)
    }

    /// Property names whose lines go to libical, beside BEGIN and END (none is longer than
    /// 16 bytes, as `packedName` needs); `PlainTypedValues` reads the same names.
    static let libicalPropertyNames = [
        "DTSTART", "DTEND", "RECURRENCE-ID", "DURATION", "CREATED", "LAST-MODIFIED", "DTSTAMP",
        "SEQUENCE", "PRIORITY", "EXDATE", "RDATE", "RRULE", "EXRULE", "TRIGGER", "REPEAT",
    ]

    /// BEGIN, END and `libicalPropertyNames`, packed.
    static let libicalProperties: [(UInt64, UInt64)] = (["BEGIN", "END"] + libicalPropertyNames).map { packedName($0)! }

    /// A line's property name (the bytes before the first `;` or `:`), upper-cased, in two
    /// words; nil when no `;` or `:` ends it within 16 bytes.
    static func packedName(_ line: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        var end = 0
        while end < line.count {
            let c = line[end]
            if c == UInt8(ascii: ";") || c == UInt8(ascii: ":") { return end > 0 ? packed(UnsafeBufferPointer(rebasing: line[..<end])) : nil }
            end += 1
            guard end <= 16 else { return nil }
        }
        return nil
    }

    /// `packedName` of a name given as a String (its line's `;` or `:` left out).
    static func packedName(_ name: String) -> (UInt64, UInt64)? {
        Array((name + ":").utf8).withUnsafeBufferPointer { packedName($0) }
    }

    /// A name of at most 16 bytes, upper-cased, packed into two words: its first byte is the
    /// low byte of the first word.
    static func packed(_ name: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        func upper(_ b: UInt8) -> UInt64 { UInt64(b >= 0x61 && b <= 0x7A ? b - 0x20 : b) }
        var words: (UInt64, UInt64) = (0, 0)
        var j = name.count
        while j > 8 { j -= 1; words.1 = words.1 << 8 | upper(name[j]) }
        while j > 0 { j -= 1; words.0 = words.0 << 8 | upper(name[j]) }
        return words
    }

    /// Whether a line's property name is one libical reads; a line without a name is not.
    static func libicalReads(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
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
        raw.forEachLine { bytes, number in
            guard let cl = ContentLine(buffer: bytes, line: number) else {
                if !stack.isEmpty { stack[stack.count - 1].malformed.append(number) }
                return
            }
            if cl.kind == .begin {
                var c = RawComponent(name: cl.value.uppercased(), startLine: number)
                // The component's own lines are most of its lines: one allocation for them.
                if stack.isEmpty { c.properties.reserveCapacity(raw.spans.count) }
                stack.append(c)
            } else if cl.kind == .end {
                guard let done = stack.popLast() else { return }
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

    private static func beginEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> (begin: Bool, name: String)? {
        // Fast check for "BEGIN:" / "END:" (case-insensitive) without a full tokenise.
        func has(_ prefix: StaticString) -> Bool {
            let n = prefix.utf8CodeUnitCount
            guard bytes.count > n else { return false }
            let p = prefix.utf8Start
            for i in 0..<n where bytes[i] & 0xDF != p[i] & 0xDF { return false }
            return true
        }
        if has("BEGIN:") { return (true, trimmedUpper(bytes[6...])) }
        if has("END:") { return (false, trimmedUpper(bytes[4...])) }
        return nil
    }

    /// The name after `BEGIN:` or `END:`, without the spaces and tabs around it, upper-cased.
    /// Names are ASCII (`VEVENT`): on the bytes, where each byte is a Character; others as
    /// Characters.
    static func trimmedUpper(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == 0x20 || s[lo] == 0x09 { lo += 1 }
        while hi > lo, s[hi - 1] == 0x20 || s[hi - 1] == 0x09 { hi -= 1 }
        let name = s[lo..<hi]
        guard !name.contains(where: { $0 >= 0x80 || $0 == 0x0D }) else {
            return String(decoding: s, as: UTF8.self).trimmingSpaces().uppercased()
        }
        return String(unsafeUninitializedCapacity: name.count) { out in
            for (k, b) in name.enumerated() { out[k] = b >= 0x61 && b <= 0x7A ? b - 0x20 : b }
            return name.count
        }
    }

    /// The line being looked at, reused from line to line.
    private var line: [UInt8] = []
    /// The size and the number of lines of the last component read: the next one's buffers
    /// start at them.
    private var lastComponentSize = 1024
    private var lastComponentLines = 32

    mutating func next() throws -> Item? {
        while true {
            line.removeAll(keepingCapacity: true)
            guard let number = try reader.next(appendingTo: &line) else { return nil }
            let be = line.withUnsafeBufferPointer { ComponentScanner.beginEnd($0) }
            if !insideCalendar {
                if let be, be.begin, be.name == "VCALENDAR" {
                    insideCalendar = true
                    return .calendarBegin(line: number)
                }
                if let be, be.begin {
                    // A bare component with no VCALENDAR around it: read it anyway.
                    return try collect(name: be.name, firstLine: number)
                }
                return .strayLine(number)
            }
            if let be {
                if be.begin { return try collect(name: be.name, firstLine: number) }
                if be.name == "VCALENDAR" {
                    insideCalendar = false
                    return .calendarEnd(line: number)
                }
                return .strayLine(number)
            }
            if let cl = ContentLine(String(decoding: line, as: UTF8.self), line: number) { return .calendarProperty(cl) }
            return .strayLine(number)
        }
    }

    /// The component whose BEGIN line is `line`: its lines are read into one buffer.
    private mutating func collect(name: String, firstLine: Int) throws -> Item {
        typealias Span = RawComponentText.Span
        var storage: [UInt8] = []
        storage.reserveCapacity(lastComponentSize)
        storage += line
        var spans: [Span] = []
        spans.reserveCapacity(lastComponentLines)
        spans.append(Span(start: 0, end: storage.count, number: firstLine))
        var stack = [name]
        func component(truncated: Bool) -> Item {
            lastComponentSize = max(256, storage.count)
            lastComponentLines = max(8, spans.count)
            return .component(RawComponentText(name: name, storage: storage, spans: spans, startLine: firstLine, truncated: truncated))
        }
        while true {
            let start = storage.count
            guard let number = try reader.next(appendingTo: &storage) else { break }
            let be = storage.withUnsafeBufferPointer { ComponentScanner.beginEnd(UnsafeBufferPointer(rebasing: $0[start...])) }
            if let be {
                if be.begin {
                    stack.append(be.name)
                    if stack.count > ComponentScanner.maximumDepth {
                        // Skip to the end of this top-level component.
                        try skip(depth: stack.count)
                        return .tooDeep(name: name, line: firstLine)
                    }
                } else if be.name == "VCALENDAR" && name != "VCALENDAR" {
                    storage.removeSubrange(start...)
                    insideCalendar = false
                    return component(truncated: true)
                } else if let i = stack.lastIndex(of: be.name) {
                    stack.removeSubrange(i...)
                }
                spans.append(Span(start: start, end: storage.count, number: number))
                if stack.isEmpty { return component(truncated: false) }
                continue
            }
            spans.append(Span(start: start, end: storage.count, number: number))
        }
        return component(truncated: true)
    }

    private mutating func skip(depth start: Int) throws {
        var depth = start
        while true {
            line.removeAll(keepingCapacity: true)
            guard try reader.next(appendingTo: &line) != nil else { return }
            guard let be = line.withUnsafeBufferPointer({ ComponentScanner.beginEnd($0) }) else { continue }
            if be.begin { depth += 1; continue }
            if be.name == "VCALENDAR" { insideCalendar = false; return }
            depth -= 1
            if depth == 0 { return }
        }
    }
}
