import CalendarModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Google Event JSON without Foundation's JSONDecoder, which costs about a third of a
/// JSON-to-iCalendar conversion.
///
/// It reads only input whose meaning is plain, and gives the same `GoogleEvent` as
/// JSONDecoder for it: keys it does not know are skipped (but must be valid JSON), `null`
/// is an absent field, integers are plain literals. For anything else (malformed JSON, a
/// value of the wrong type, a repeated key, an integer written `1.0` or `1e2` or out of
/// range, an escape that is not a whole character, bytes that are not UTF-8) it returns
/// nil and the caller decodes with JSONDecoder, which then gives its own value or error.
/// A test holds this reader to JSONDecoder on real and generated events.
public enum FastJSONReader {
    /// The event in `bytes` (one JSON object, whitespace around it allowed).
    public static func event(_ bytes: [UInt8]) -> GoogleEvent? {
        bytes.withUnsafeBufferPointer { event($0) }
    }

    public static func event(_ bytes: UnsafeBufferPointer<UInt8>) -> GoogleEvent? {
        var r = Reader(bytes)
        do {
            r.skipSpace()
            let e = try r.event()
            r.skipSpace()
            guard r.atEnd else { return nil }
            return e
        } catch {
            return nil
        }
    }
}

/// Input this reader leaves to JSONDecoder.
private struct Miss: Error {}

/// An object's key as read. Nearly every key is plain ASCII, which is compared with the
/// names this reader knows on its bytes in the input: no String is made for it, and a
/// comparison is a loop over a few bytes, not a String comparison (keys are matched several
/// times each, against the keys before them and the names of their object's fields).
private struct Key {
    /// The key's bytes in the input when it is ASCII without escapes.
    let plain: UnsafeBufferPointer<UInt8>?
    /// The key otherwise (escapes, or non-ASCII bytes).
    let decoded: String?

    var string: String { plain.map { String(decoding: $0, as: UTF8.self) } ?? decoded! }

    /// Whether two keys are equal as Strings (which is equality of bytes for ASCII).
    static func same(_ a: Key, _ b: Key) -> Bool {
        if let x = a.plain, let y = b.plain { return Key.equal(x, y.baseAddress, y.count) }
        return a.string == b.string
    }

    static func equal(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
        guard x.count == count else { return false }
        for k in 0..<count where x[k] != y![k] { return false }
        return true
    }

    /// `switch key { case "id": … }`: a known name is ASCII.
    static func ~= (name: StaticString, key: Key) -> Bool {
        if let p = key.plain { return equal(p, name.utf8Start, name.utf8CodeUnitCount) }
        return key.decoded! == name.description
    }

    /// The Event field this key names, if any.
    var eventField: EventField? {
        guard let p = plain else { return EventField(rawValue: decoded!) }
        guard p.count < Key.fieldsByLength.count else { return nil }
        for (name, field) in Key.fieldsByLength[p.count] where Key.equal(p, name, p.count) { return field }
        return nil
    }

    /// Every field's name, by its length in bytes. Made once and never changed or freed
    /// (so the pointers stay valid and any thread may read it).
    nonisolated(unsafe) private static let fieldsByLength: [[(UnsafePointer<UInt8>, EventField)]] = {
        var table: [[(UnsafePointer<UInt8>, EventField)]] = []
        for field in EventField.allCases {
            let name = field.rawValue
            var n = name
            let pointer = n.withUTF8 { u -> UnsafePointer<UInt8> in
                let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: u.count)
                copy.initialize(from: u.baseAddress!, count: u.count)
                return UnsafePointer(copy)
            }
            let count = name.utf8.count
            while table.count <= count { table.append([]) }
            table[count].append((pointer, field))
        }
        return table
    }()
}

/// An array element: `null` is not a value of a non-optional element type.
private func required<T>(_ t: T?) throws(Miss) -> T {
    guard let t else { throw Miss() }
    return t
}

private struct Reader {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Objects and arrays open around the reader. Deeper input is left to JSONDecoder,
    /// which has its own limit, so that no input exhausts this thread's stack.
    var depth = 0
    static let maximumDepth = 200
    /// The keys of the objects open around the reader (see `object`).
    private var keys: [Key] = []
    /// The entries of the string dictionaries being read (see `stringDictionary`).
    private var pairs: [(String, String)] = []
    /// A string with escapes, decoded (see `string`): one buffer for all of an event's.
    private var unescaped: [UInt8] = []

    init(_ b: UnsafeBufferPointer<UInt8>) {
        self.b = b
        // Room for the keys of an event and of the objects within it, and for a private map,
        // at once: grown by doubling, they were a sixth of the reader's allocations.
        keys.reserveCapacity(48)
        pairs.reserveCapacity(16)
    }

    var atEnd: Bool { i == b.count }

    mutating func skipSpace() {
        while i < b.count {
            switch b[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed.
    mutating func peek() throws(Miss) -> UInt8 {
        skipSpace()
        guard i < b.count else { throw Miss() }
        return b[i]
    }

    mutating func expect(_ c: UInt8) throws(Miss) {
        guard try peek() == c else { throw Miss() }
        i += 1
    }

    /// Consumes `null` when it comes next.
    mutating func null() throws(Miss) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func literal(_ word: StaticString) throws(Miss) {
        let n = word.utf8CodeUnitCount
        guard b.count - i >= n else { throw Miss() }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw Miss() }
        i += n
    }

    // MARK: Objects and arrays

    /// Calls `field` with each key (the reader then stands before its value, which `field`
    /// must consume). A key seen twice is a miss.
    mutating func object(_ field: (inout Reader, Key) throws(Miss) -> Void) throws(Miss) {
        try expect(UInt8(ascii: "{"))
        depth += 1
        guard depth <= Reader.maximumDepth else { throw Miss() }
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") { i += 1; return }
        // This object's keys are `keys[base...]`, above those of the objects around it: one
        // list for the whole event, not one per object.
        let base = keys.count
        defer { keys.removeSubrange(base...) }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw Miss() }
            let key = try self.key()
            // Objects are small: a list is cheaper than a set.
            guard !keys[base...].contains(where: { Key.same($0, key) }) else { throw Miss() }
            keys.append(key)
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return
            default: throw Miss()
            }
        }
    }

    /// An object's key; the reader stands on its opening quote.
    mutating func key() throws(Miss) -> Key {
        var j = i + 1
        while j < b.count, b[j] != 0x22, b[j] != 0x5C, b[j] >= 0x20, b[j] < 0x80 { j += 1 }
        if j < b.count, b[j] == 0x22 {
            defer { i = j + 1 }
            return Key(plain: UnsafeBufferPointer(rebasing: b[(i + 1)..<j]), decoded: nil)
        }
        // Escapes, non-ASCII bytes, or malformed: as any string.
        return Key(plain: nil, decoded: try string())
    }

    /// An array or `null` (nil).
    mutating func array<T>(_ element: (inout Reader) throws(Miss) -> T) throws(Miss) -> [T]? {
        if try null() { return nil }
        try expect(UInt8(ascii: "["))
        depth += 1
        guard depth <= Reader.maximumDepth else { throw Miss() }
        defer { depth -= 1 }
        var out: [T] = []
        if try peek() == UInt8(ascii: "]") { i += 1; return out }
        // Lists of attendees and reminders hold a few: room for four at once, not 1, 2, 4.
        out.reserveCapacity(4)
        while true {
            out.append(try element(&self))
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return out
            default: throw Miss()
            }
        }
    }

    // MARK: Scalars

    mutating func optionalString() throws(Miss) -> String? {
        if try null() { return nil }
        guard try peek() == UInt8(ascii: "\"") else { throw Miss() }
        return try string()
    }

    mutating func optionalBool() throws(Miss) -> Bool? {
        switch try peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        case UInt8(ascii: "n"): try literal("null"); return nil
        default: throw Miss()
        }
    }

    /// A plain integer literal (`-12`), or null.
    mutating func optionalInt() throws(Miss) -> Int? {
        if try null() { return nil }
        let negative = b[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let digits = i
        var v = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int(b[i] - 0x30))  // negative: reaches Int.min
            guard !o1, !o2 else { throw Miss() }
            v = s
            i += 1
        }
        let count = i - digits
        // No digits, a leading zero, or a fraction or exponent: JSONDecoder decides.
        guard count > 0, !(count > 1 && b[digits] == 0x30) else { throw Miss() }
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { throw Miss() }
        if negative { return v }
        guard v != Int.min else { throw Miss() }
        return -v
    }

    /// Moves past the plain run from `i`: the bytes up to the next quote, backslash or control
    /// character (or the end). Returns the run's bytes OR-ed together, whose high bit says
    /// whether it is all ASCII.
    ///
    /// Eight bytes at a time while none of them ends the run: strings are most of an event's
    /// bytes. `v` has a zero byte exactly when `(v - 0x01…01) & ~v & 0x80…80` is not zero, and
    /// a byte below 0x20 exactly when `(v - 0x20…20) & ~v & 0x80…80` is not zero (the usual
    /// bit tricks; a borrow can mark a wrong byte only above one that is really marked).
    private mutating func plainRun() -> UInt8 {
        var wide: UInt64 = 0
        while b.count - i >= 8 {
            let v = Bytes.Word.load(b, at: i)
            guard Bytes.Word.equal(v, 0x22) | Bytes.Word.equal(v, 0x5C) | Bytes.Word.below(v, 0x20) == 0 else { break }
            wide |= v
            i += 8
        }
        var bits: UInt8 = wide & 0x8080_8080_8080_8080 == 0 ? 0 : 0x80
        while i < b.count, b[i] != 0x22, b[i] != 0x5C, b[i] >= 0x20 {
            bits |= b[i]
            i += 1
        }
        return bits
    }

    /// A string; the reader stands on its opening quote.
    mutating func string() throws(Miss) -> String {
        i += 1
        let start = i
        // Plain run: no escape, no control character.
        let bits = plainRun()
        guard i < b.count else { throw Miss() }
        if b[i] == 0x22 {
            defer { i += 1 }
            let run = UnsafeBufferPointer(rebasing: b[start..<i])
            // ASCII is valid UTF-8: no need to validate it.
            return bits < 0x80 ? String(decoding: run, as: UTF8.self) : try text(run)
        }
        guard b[i] == 0x5C else { throw Miss() }  // a raw control character
        // Decoded into the reader's buffer, kept from string to string: an array for each
        // string with escapes (descriptions, mostly) was made and grown again and again.
        unescaped.removeAll(keepingCapacity: true)
        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { throw Miss() }
            let c = b[i]
            if c == 0x22 { i += 1; break }
            guard c >= 0x20 else { throw Miss() }
            guard c == 0x5C else {
                // The plain run up to the next quote, escape or control character, at once.
                let run = i
                _ = plainRun()
                unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<i]))
                continue
            }
            guard i + 1 < b.count else { throw Miss() }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(e)
            case UInt8(ascii: "b"): unescaped.append(0x08)
            case UInt8(ascii: "f"): unescaped.append(0x0C)
            case UInt8(ascii: "n"): unescaped.append(0x0A)
            case UInt8(ascii: "r"): unescaped.append(0x0D)
            case UInt8(ascii: "t"): unescaped.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by `\u` and a low one.
                    guard i + 1 < b.count, b[i] == 0x5C, b[i + 1] == UInt8(ascii: "u") else { throw Miss() }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw Miss() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw Miss()
                }
                guard let u = Unicode.Scalar(scalar) else { throw Miss() }
                unescaped.append(contentsOf: UTF8.encode(u)!)
            default: throw Miss()
            }
        }
        return try unescaped.withUnsafeBufferPointer { (p) throws(Miss) -> String in try text(p) }
    }

    private mutating func hex4() throws(Miss) -> UInt32 {
        guard b.count - i >= 4 else { throw Miss() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw Miss()
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    private func text(_ p: UnsafeBufferPointer<UInt8>) throws(Miss) -> String {
        // Decoding repairs what is not UTF-8, so the bytes change exactly when they were not.
        // (`String(validating:)` is generic and looks up its metadata on every call.)
        var s = String(decoding: p, as: UTF8.self)
        let same = s.withUTF8 { u in u.count == p.count && (u.isEmpty || memcmp(u.baseAddress!, p.baseAddress!, u.count) == 0) }
        guard same else { throw Miss() }
        return s
    }

    // MARK: Any value (JSONValue, and keys this reader does not know)

    /// A JSON value as `JSONValue` decodes it (numbers are Doubles).
    mutating func value() throws(Miss) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["): return .array(try array { (r) throws(Miss) in try r.value() } ?? [])
        case UInt8(ascii: "{"):
            var o: [String: JSONValue] = [:]
            try object { (r, key) throws(Miss) in o[key.string] = try r.value() }
            return .object(o)
        default: return .number(try number())
        }
    }

    /// A number in JSON's grammar, as the nearest Double.
    private mutating func number() throws(Miss) -> Double {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ r: inout Reader) -> Int {
            let s = r.i
            while r.i < r.b.count, r.b[r.i] >= 0x30, r.b[r.i] <= 0x39 { r.i += 1 }
            return r.i - s
        }
        let intStart = i
        let n = digits(&self)
        guard n > 0, !(n > 1 && b[intStart] == 0x30) else { throw Miss() }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw Miss() }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw Miss() }
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard let d = Double(literal), d.isFinite else { throw Miss() }
        return d
    }

    mutating func optionalValue() throws(Miss) -> JSONValue? {
        if try null() { return nil }
        return try value()
    }

    mutating func stringDictionary() throws(Miss) -> [String: String]? {
        if try null() { return nil }
        // The entries are gathered first, so the dictionary is made once at its size rather
        // than grown (and rehashed) entry by entry; `object` refuses a repeated key.
        let base = pairs.count
        defer { pairs.removeSubrange(base...) }
        try object { (r, key) throws(Miss) in
            guard try r.peek() == UInt8(ascii: "\"") else { throw Miss() }
            let value = try r.string()
            r.pairs.append((key.string, value))
        }
        var d: [String: String] = Dictionary(minimumCapacity: pairs.count - base)
        for (k, v) in pairs[base...] { d[k] = v }
        return d
    }

    // MARK: Google resources

    /// An object or `null` (nil), read field by field into `T()`.
    mutating func resource<T>(_ make: () -> T, _ field: (inout Reader, inout T, Key) throws(Miss) -> Void) throws(Miss) -> T? {
        if try null() { return nil }
        var t = make()
        try object { (r, key) throws(Miss) in try field(&r, &t, key) }
        return t
    }

    mutating func event() throws(Miss) -> GoogleEvent {
        guard let e = try resource(GoogleEvent.init, { (r, e, key) throws(Miss) in
            // One case per field, so a field added to `EventField` does not compile until it is read.
            guard let field = key.eventField else { _ = try r.value(); return }
            switch field {
            case .kind: e.kind = try r.optionalString()
            case .etag: e.etag = try r.optionalString()
            case .id: e.id = try r.optionalString()
            case .status: e.status = try r.optionalString()
            case .htmlLink: e.htmlLink = try r.optionalString()
            case .created: e.created = try r.optionalString()
            case .updated: e.updated = try r.optionalString()
            case .summary: e.summary = try r.optionalString()
            case .description: e.description = try r.optionalString()
            case .location: e.location = try r.optionalString()
            case .colorId: e.colorId = try r.optionalString()
            case .creator: e.creator = try r.person()
            case .organizer: e.organizer = try r.person()
            case .start: e.start = try r.dateTime()
            case .end: e.end = try r.dateTime()
            case .endTimeUnspecified: e.endTimeUnspecified = try r.optionalBool()
            case .recurrence: e.recurrence = try r.array { (r) throws(Miss) in try r.requiredString() }
            case .recurringEventId: e.recurringEventId = try r.optionalString()
            case .originalStartTime: e.originalStartTime = try r.dateTime()
            case .transparency: e.transparency = try r.optionalString()
            case .visibility: e.visibility = try r.optionalString()
            case .iCalUID: e.iCalUID = try r.optionalString()
            case .sequence: e.sequence = try r.optionalInt()
            case .attendees: e.attendees = try r.array { (r) throws(Miss) in try required(r.attendee()) }
            case .attendeesOmitted: e.attendeesOmitted = try r.optionalBool()
            case .extendedProperties:
                e.extendedProperties = try r.resource(GoogleEvent.ExtendedProperties.init) { (r, x, key) throws(Miss) in
                    switch key {
                    case "private": x.private = try r.stringDictionary()
                    case "shared": x.shared = try r.stringDictionary()
                    default: _ = try r.value()
                    }
                }
            case .hangoutLink: e.hangoutLink = try r.optionalString()
            case .conferenceData: e.conferenceData = try r.optionalValue()
            case .gadget: e.gadget = try r.optionalValue()
            case .anyoneCanAddSelf: e.anyoneCanAddSelf = try r.optionalBool()
            case .guestsCanInviteOthers: e.guestsCanInviteOthers = try r.optionalBool()
            case .guestsCanModify: e.guestsCanModify = try r.optionalBool()
            case .guestsCanSeeOtherGuests: e.guestsCanSeeOtherGuests = try r.optionalBool()
            case .privateCopy: e.privateCopy = try r.optionalBool()
            case .locked: e.locked = try r.optionalBool()
            case .reminders:
                e.reminders = try r.resource(GoogleEvent.Reminders.init) { (r, x, key) throws(Miss) in
                    switch key {
                    case "useDefault": x.useDefault = try r.optionalBool()
                    case "overrides": x.overrides = try r.array { (r) throws(Miss) in try required(r.reminder()) }
                    default: _ = try r.value()
                    }
                }
            case .source:
                e.source = try r.resource(GoogleEvent.Source.init) { (r, x, key) throws(Miss) in
                    switch key {
                    case "url": x.url = try r.optionalString()
                    case "title": x.title = try r.optionalString()
                    default: _ = try r.value()
                    }
                }
            case .workingLocationProperties: e.workingLocationProperties = try r.optionalValue()
            case .outOfOfficeProperties: e.outOfOfficeProperties = try r.optionalValue()
            case .focusTimeProperties: e.focusTimeProperties = try r.optionalValue()
            case .birthdayProperties: e.birthdayProperties = try r.optionalValue()
            case .attachments: e.attachments = try r.array { (r) throws(Miss) in try required(r.attachment()) }
            case .eventType: e.eventType = try r.optionalString()
            case .eventLabelId: e.eventLabelId = try r.optionalString()
            }
        }) else { throw Miss() }  // a bare `null` is not an event
        return e
    }

    mutating func requiredString() throws(Miss) -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw Miss() }
        return try string()
    }

    mutating func person() throws(Miss) -> GoogleEvent.Person? {
        try resource({ GoogleEvent.Person() }) { (r, p, key) throws(Miss) in
            switch key {
            case "id": p.id = try r.optionalString()
            case "email": p.email = try r.optionalString()
            case "displayName": p.displayName = try r.optionalString()
            case "self": p.`self` = try r.optionalBool()
            default: _ = try r.value()
            }
        }
    }

    mutating func dateTime() throws(Miss) -> EventDateTime? {
        try resource({ EventDateTime() }) { (r, d, key) throws(Miss) in
            switch key {
            case "date": d.date = try r.optionalString()
            case "dateTime": d.dateTime = try r.optionalString()
            case "timeZone": d.timeZone = try r.optionalString()
            default: _ = try r.value()
            }
        }
    }

    mutating func attendee() throws(Miss) -> GoogleEvent.Attendee? {
        try resource(GoogleEvent.Attendee.init) { (r, a, key) throws(Miss) in
            switch key {
            case "id": a.id = try r.optionalString()
            case "email": a.email = try r.optionalString()
            case "displayName": a.displayName = try r.optionalString()
            case "organizer": a.organizer = try r.optionalBool()
            case "self": a.`self` = try r.optionalBool()
            case "resource": a.resource = try r.optionalBool()
            case "optional": a.optional = try r.optionalBool()
            case "responseStatus": a.responseStatus = try r.optionalString()
            case "comment": a.comment = try r.optionalString()
            case "additionalGuests": a.additionalGuests = try r.optionalInt()
            default: _ = try r.value()
            }
        }
    }

    mutating func reminder() throws(Miss) -> GoogleEvent.Reminder? {
        try resource({ GoogleEvent.Reminder(method: nil, minutes: nil) }) { (r, x, key) throws(Miss) in
            switch key {
            case "method": x.method = try r.optionalString()
            case "minutes": x.minutes = try r.optionalInt()
            default: _ = try r.value()
            }
        }
    }

    mutating func attachment() throws(Miss) -> GoogleEvent.EventAttachment? {
        try resource(GoogleEvent.EventAttachment.init) { (r, a, key) throws(Miss) in
            switch key {
            case "fileUrl": a.fileUrl = try r.optionalString()
            case "title": a.title = try r.optionalString()
            case "mimeType": a.mimeType = try r.optionalString()
            case "iconLink": a.iconLink = try r.optionalString()
            case "fileId": a.fileId = try r.optionalString()
            default: _ = try r.value()
            }
        }
    }
}
