import CalendarModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Google resources as JSON without Foundation's JSONEncoder, which costs about a
/// quarter of a conversion, and without building a tree first. Keys come out sorted and strings are escaped exactly as
/// JSONEncoder does with `.sortedKeys` and `.withoutEscapingSlashes`, so the bytes are the
/// same (a test holds this writer to JSONEncoder's output).
public enum FastJSON {
    /// A free-form value (`JSONValue`) on its way out.
    indirect enum Node {
        case string(String)
        case int(Int)
        case double(Double)
        case null
        case bool(Bool)
        case array([Node])
        /// Fields in sorted key order, nil values already left out.
        case object([(String, Node)])
    }

    public static func compact(_ e: GoogleEvent) -> String {
        written(e, pretty: false, depth: 0) { String(decoding: $0, as: UTF8.self) }
    }

    /// JSONEncoder's `.prettyPrinted` layout (`"key" : value`, two-space indent) at a depth.
    public static func pretty(_ e: GoogleEvent, depth: Int = 0) -> String {
        written(e, pretty: true, depth: depth) { String(decoding: $0, as: UTF8.self) }
    }

    /// `compact(_:)`, appended to UTF-8 bytes (no String in between).
    public static func compact(_ e: GoogleEvent, into out: inout [UInt8]) {
        written(e, pretty: false, depth: 0) { out.append(contentsOf: $0) }
    }

    /// `pretty(_:depth:)`, appended to UTF-8 bytes.
    public static func pretty(_ e: GoogleEvent, depth: Int = 0, into out: inout [UInt8]) {
        written(e, pretty: true, depth: depth) { out.append(contentsOf: $0) }
    }

    /// The event's JSON, handed to `take` straight from the writer's buffer.
    private static func written<R>(_ e: GoogleEvent, pretty: Bool, depth: Int, _ take: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var w = Writer(out: ByteBuffer(capacity: pretty ? 4096 : 2048), pretty: pretty, level: depth)
        e.write(&w)
        return w.out.withBytes(take)
    }

    /// The bytes being written, appended at a pointer. An event's JSON is a few hundred
    /// appends of a byte or a run of them, and `[UInt8].append(contentsOf:)` spent about a
    /// hundred instructions on each call beside the copy (callgrind, heavy 20,000 .ics ->
    /// NDJSON: 3.8 M calls, 410 M of 7,697 M instructions); here an append is a capacity
    /// check and the copy.
    struct ByteBuffer: ~Copyable {
        private var base: UnsafeMutablePointer<UInt8>
        private var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 16)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        @inline(__always)
        mutating func append(_ byte: UInt8) {
            if count == capacity { grow(toHold: 1) }
            base[count] = byte
            count += 1
        }

        @inline(__always)
        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
            if capacity - count < bytes.count { grow(toHold: bytes.count) }
            (base + count).initialize(from: from, count: bytes.count)
            count += bytes.count
        }

        @inline(__always)
        mutating func append(_ s: StaticString) {
            append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }

        /// Room for `more` bytes past the end, at least doubling.
        @inline(never)
        private mutating func grow(toHold more: Int) {
            let bigger = Swift.max(capacity * 2, count + more)
            let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
            moved.initialize(from: base, count: count)
            base.deallocate()
            base = moved
            capacity = bigger
        }

        func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
            try body(UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// A key of a resource: a literal (the nested resources' keys), or an Event field's name
    /// in `fieldNames`.
    enum Key: ExpressibleByStringLiteral {
        case literal(StaticString)
        case bytes(UnsafeBufferPointer<UInt8>)
        init(stringLiteral value: StaticString) { self = .literal(value) }
    }

    /// The names of `EventField.sortedByKey`, in that order, as UTF-8 one after another, and
    /// where each ends: the writer copies a field's key from here instead of spelling its
    /// `rawValue` (a String per key cost a tenth of the writer's time).
    static let fieldNames: (bytes: [UInt8], ends: [Int]) = {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for f in EventField.sortedByKey {
            bytes += f.rawValue.utf8
            ends.append(bytes.count)
        }
        return (bytes, ends)
    }()

    /// Writes one resource straight into bytes, object by object, in JSONEncoder's layout
    /// (compact, or `.prettyPrinted` with `"key" : value` and two-space indents).
    struct Writer: ~Copyable {
        var out: ByteBuffer
        let pretty: Bool
        /// The indent of the innermost open object or array (of the value being written).
        var level: Int
        /// Nothing written yet in the innermost open object or array.
        var empty = true

        /// Opens an object (`{`) or array (`[`); pass the result to `close`.
        mutating func open(_ bracket: UInt8) -> Bool {
            out.append(bracket)
            level += 1
            defer { empty = true }
            return empty
        }

        mutating func close(_ bracket: UInt8, _ outerEmpty: Bool) {
            level -= 1
            if pretty {
                // An empty one is `{`, a blank line, `}` at its own indent, as JSONEncoder has it.
                out.append(0x0A)
                if empty { out.append(0x0A) }
                FastJSON.spaces(level, &out)
            }
            out.append(bracket)
            empty = outerEmpty
        }

        /// Starts the next member of the open object or array.
        mutating func member() {
            if !empty { out.append(UInt8(ascii: ",")) }
            empty = false
            if pretty {
                out.append(0x0A)
                FastJSON.spaces(level, &out)
            }
        }

        /// A key calport names: plain ASCII, nothing to escape. Spelled only once the value is
        /// known to be there.
        mutating func key(_ k: Key) {
            member()
            out.append(0x22)
            switch k {
            case .literal(let s): out.append(s)
            case .bytes(let b): out.append(b)
            }
            out.append(0x22)
            colon()
        }

        /// A key from the data (a map's), escaped.
        mutating func key(escaping k: String) {
            member()
            FastJSON.writeString(k, into: &out)
            colon()
        }

        private mutating func colon() {
            if pretty { out.append(" : ") } else { out.append(UInt8(ascii: ":")) }
        }

        mutating func field(_ k: Key, _ v: String?) {
            guard let v else { return }
            key(k)
            FastJSON.writeString(v, into: &out)
        }

        mutating func field(_ k: Key, _ v: Int?) {
            guard let v else { return }
            key(k)
            FastJSON.appendInt(v, to: &out)
        }

        mutating func field(_ k: Key, _ v: Bool?) {
            guard let v else { return }
            key(k)
            out.append(v ? "true" : "false")
        }

        mutating func field(_ k: Key, _ v: JSONValue?) {
            guard let v else { return }
            key(k)
            FastJSON.write(FastJSON.node(v), into: &out, indent: pretty ? level : nil)
        }

        /// A nested resource, written by `body` between braces.
        mutating func field<T>(_ k: Key, _ v: T?, _ body: (T, inout Writer) -> Void) {
            guard let v else { return }
            key(k)
            let outer = open(UInt8(ascii: "{"))
            body(v, &self)
            close(UInt8(ascii: "}"), outer)
        }

        /// An array of resources, each written by `body` between braces.
        mutating func array<T>(_ k: Key, _ v: [T]?, _ body: (T, inout Writer) -> Void) {
            guard let v else { return }
            key(k)
            let outer = open(UInt8(ascii: "["))
            for item in v {
                member()
                let inner = open(UInt8(ascii: "{"))
                body(item, &self)
                close(UInt8(ascii: "}"), inner)
            }
            close(UInt8(ascii: "]"), outer)
        }

        mutating func strings(_ k: Key, _ v: [String]?) {
            guard let v else { return }
            key(k)
            let outer = open(UInt8(ascii: "["))
            for item in v {
                member()
                FastJSON.writeString(item, into: &out)
            }
            close(UInt8(ascii: "]"), outer)
        }

        /// A string map, keys sorted.
        mutating func map(_ k: Key, _ v: [String: String]?) {
            guard let v else { return }
            key(k)
            let outer = open(UInt8(ascii: "{"))
            // ASCII keys (calport's own) sort as their bytes do, which is how `<` orders them.
            let ascii = v.keys.allSatisfy(FastJSON.isASCII)
            let sorted = ascii ? v.sorted { FastJSON.bytesPrecede($0.key, $1.key) } : v.sorted { $0.key < $1.key }
            for (name, value) in sorted {
                key(escaping: name)
                FastJSON.writeString(value, into: &out)
            }
            close(UInt8(ascii: "}"), outer)
        }
    }

    /// Whether the string is ASCII: its bytes in memory, eight at a time.
    static func isASCII(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { u in
            var i = 0
            while u.count - i >= 8 {
                if Bytes.Word.load(u, at: i) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < u.count {
                if u[i] >= 0x80 { return false }
                i += 1
            }
            return true
        }
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s: `a.utf8.lexicographicallyPrecedes(b.utf8)`
    /// with one `memcmp` where both are contiguous (native strings, small ones included).
    static func bytesPrecede(_ a: String, _ b: String) -> Bool {
        let answer = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order < 0 || (order == 0 && x.count < y.count)
            }
        }
        return (answer ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    @inline(__always)
    fileprivate static func append(_ s: String, to out: inout ByteBuffer) {
        var s = s
        s.withUTF8 { out.append($0) }
    }

    fileprivate static func appendInt(_ i: Int, to out: inout ByteBuffer) {
        if i < 0 {
            out.append(UInt8(ascii: "-"))
            // Int.min has no positive counterpart: let the standard library spell it.
            if i == Int.min { append(String(i).dropFirst().description, to: &out); return }
        }
        var v = i.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            out.append(UnsafeBufferPointer(rebasing: d.bindMemory(to: UInt8.self)[(20 - n)...]))
        }
    }

    static func write(_ n: Node, into out: inout ByteBuffer, indent: Int?) {
        switch n {
        case .string(let s): writeString(s, into: &out)
        case .int(let i): appendInt(i, to: &out)
        case .double(let d): append(d.isFinite ? "\(d)" : "null", to: &out)
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .array(let items):
            guard !items.isEmpty else {
                if let indent {
                    out.append("[\n\n")
                    spaces(indent, &out)
                    out.append(UInt8(ascii: "]"))
                } else {
                    out.append("[]")
                }
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                write(item, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            guard !fields.isEmpty else {
                if let indent {
                    out.append("{\n\n")
                    spaces(indent, &out)
                    out.append(UInt8(ascii: "}"))
                } else {
                    out.append("{}")
                }
                return
            }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                writeString(key, into: &out)
                if indent == nil { out.append(UInt8(ascii: ":")) } else { out.append(" : ") }
                write(value, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    fileprivate static func spaces(_ indent: Int, _ out: inout ByteBuffer) {
        for _ in 0..<indent { out.append("  ") }
    }

    private static func newline(_ out: inout ByteBuffer, _ indent: Int?) {
        guard let indent else { return }
        out.append(0x0A)
        spaces(indent, &out)
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// A JSON string as JSONEncoder writes it with `.withoutEscapingSlashes`: `"` and `\\`
    /// and control characters escaped, everything else (UTF-8 included) as is.
    static func writeString(_ s: String, into out: inout ByteBuffer) {
        var s = s
        s.withUTF8 { bytes in
            out.append(0x22)
            var run = 0  // start of the bytes not yet copied
            var i = 0
            let n = bytes.count
            while i < n {
                // Eight bytes at a time while none needs escaping (descriptions are most of
                // an event's text), as the JSON reader's `plainRun` scans; a tail of fewer is
                // looked at through the string's last eight bytes, seen ones among them.
                if n >= 8 {
                    let at = Swift.min(i, n - 8)
                    let v = Bytes.Word.load(bytes, at: at)
                    if Bytes.Word.equal(v, 0x22) | Bytes.Word.equal(v, 0x5C) | Bytes.Word.below(v, 0x20) == 0 {
                        i = at + 8
                        continue
                    }
                }
                let b = bytes[i]
                i += 1
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                let i = i - 1
                if run < i { out.append(UnsafeBufferPointer(rebasing: bytes[run..<i])) }
                run = i + 1
                switch b {
                case 0x22: out.append("\\\"")
                case 0x5C: out.append("\\\\")
                case 0x0A: out.append("\\n")
                case 0x0D: out.append("\\r")
                case 0x09: out.append("\\t")
                case 0x08: out.append("\\b")
                case 0x0C: out.append("\\f")
                default:
                    out.append("\\u00")
                    out.append(hexDigits.utf8Start[Int(b >> 4)])
                    out.append(hexDigits.utf8Start[Int(b & 0x0F)])
                }
            }
            if run < bytes.count { out.append(UnsafeBufferPointer(rebasing: bytes[run...])) }
            out.append(0x22)
        }
    }

    static func node(_ v: JSONValue) -> Node {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d):
            if d.rounded() == d, abs(d) < 1e15 { return .int(Int(d)) }
            return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(node))
        case .object(let o): return .object(o.sorted { $0.key < $1.key }.map { ($0.key, node($0.value)) })
        }
    }
}

extension EventField {
    /// The fields in the order JSONEncoder's `.sortedKeys` writes them (by their names' bytes).
    public static let sortedByKey: [EventField] = allCases.sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }
}

// Each resource's fields in sorted key order; nil fields are left out, as JSONEncoder does.
extension GoogleEvent {
    /// One case per field, so a field added to `EventField` does not compile until it is written.
    func write(_ w: inout FastJSON.Writer) {
        let outer = w.open(UInt8(ascii: "{"))
        let (names, ends) = FastJSON.fieldNames
        names.withUnsafeBufferPointer { names in
            var from = 0
            for (i, f) in EventField.sortedByKey.enumerated() {
                let k = FastJSON.Key.bytes(UnsafeBufferPointer(rebasing: names[from..<ends[i]]))
                from = ends[i]
                switch f {
                case .anyoneCanAddSelf: w.field(k, anyoneCanAddSelf)
                case .attachments: w.array(k, attachments) { $0.write(&$1) }
                case .attendees: w.array(k, attendees) { $0.write(&$1) }
                case .attendeesOmitted: w.field(k, attendeesOmitted)
                case .birthdayProperties: w.field(k, birthdayProperties)
                case .colorId: w.field(k, colorId)
                case .conferenceData: w.field(k, conferenceData)
                case .created: w.field(k, created)
                case .creator: w.field(k, creator) { $0.write(&$1) }
                case .description: w.field(k, description)
                case .end: w.field(k, end) { $0.write(&$1) }
                case .endTimeUnspecified: w.field(k, endTimeUnspecified)
                case .etag: w.field(k, etag)
                case .eventLabelId: w.field(k, eventLabelId)
                case .eventType: w.field(k, eventType)
                case .extendedProperties:
                    w.field(k, extendedProperties) { x, w in
                        w.map("private", x.private)
                        w.map("shared", x.shared)
                    }
                case .focusTimeProperties: w.field(k, focusTimeProperties)
                case .gadget: w.field(k, gadget)
                case .guestsCanInviteOthers: w.field(k, guestsCanInviteOthers)
                case .guestsCanModify: w.field(k, guestsCanModify)
                case .guestsCanSeeOtherGuests: w.field(k, guestsCanSeeOtherGuests)
                case .hangoutLink: w.field(k, hangoutLink)
                case .htmlLink: w.field(k, htmlLink)
                case .iCalUID: w.field(k, iCalUID)
                case .id: w.field(k, id)
                case .kind: w.field(k, kind)
                case .location: w.field(k, location)
                case .locked: w.field(k, locked)
                case .organizer: w.field(k, organizer) { $0.write(&$1) }
                case .originalStartTime: w.field(k, originalStartTime) { $0.write(&$1) }
                case .outOfOfficeProperties: w.field(k, outOfOfficeProperties)
                case .privateCopy: w.field(k, privateCopy)
                case .recurrence: w.strings(k, recurrence)
                case .recurringEventId: w.field(k, recurringEventId)
                case .reminders:
                    w.field(k, reminders) { r, w in
                        w.array("overrides", r.overrides) { o, w in
                            w.field("method", o.method)
                            w.field("minutes", o.minutes)
                        }
                        w.field("useDefault", r.useDefault)
                    }
                case .sequence: w.field(k, sequence)
                case .source:
                    w.field(k, source) { x, w in
                        w.field("title", x.title)
                        w.field("url", x.url)
                    }
                case .start: w.field(k, start) { $0.write(&$1) }
                case .status: w.field(k, status)
                case .summary: w.field(k, summary)
                case .transparency: w.field(k, transparency)
                case .updated: w.field(k, updated)
                case .visibility: w.field(k, visibility)
                case .workingLocationProperties: w.field(k, workingLocationProperties)
                }
            }
        }
        w.close(UInt8(ascii: "}"), outer)
    }
}

extension GoogleEvent.Person {
    func write(_ w: inout FastJSON.Writer) {
        w.field("displayName", displayName)
        w.field("email", email)
        w.field("id", id)
        w.field("self", self.`self`)
    }
}

extension GoogleEvent.Attendee {
    func write(_ w: inout FastJSON.Writer) {
        w.field("additionalGuests", additionalGuests)
        w.field("comment", comment)
        w.field("displayName", displayName)
        w.field("email", email)
        w.field("id", id)
        w.field("optional", optional)
        w.field("organizer", organizer)
        w.field("resource", resource)
        w.field("responseStatus", responseStatus)
        w.field("self", self.`self`)
    }
}

extension GoogleEvent.EventAttachment {
    func write(_ w: inout FastJSON.Writer) {
        w.field("fileId", fileId)
        w.field("fileUrl", fileUrl)
        w.field("iconLink", iconLink)
        w.field("mimeType", mimeType)
        w.field("title", title)
    }
}

extension EventDateTime {
    func write(_ w: inout FastJSON.Writer) {
        w.field("date", date)
        w.field("dateTime", dateTime)
        w.field("timeZone", timeZone)
    }
}
