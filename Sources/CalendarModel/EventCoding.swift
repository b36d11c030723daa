/// `Event` as compact bytes, written and read field by field, for events held in memory in
/// bulk (a push's input, in `SealedRecords`) and read back one at a time.
///
/// Not a file format: the bytes live as long as the process that wrote them, so there is no
/// version and no key names. Integers are LEB128 varints (signed ones zigzagged), a string is
/// its UTF-8 length and bytes, an optional a 0 or 1 byte before its value, an array its count
/// before its elements, an enum case a tag byte. The fields go in declaration order; the test
/// `EventCodingTests.everyStoredFieldIsCoded` fails when a model type gains a field this does
/// not write. Swift's `Codable` was measured at 60 to 100 µs per event for a coder of this
/// kind, most of it the protocol's own overhead; this is a few µs.
public enum EventCoding {
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Appends `e`'s bytes to `bytes`.
    public static func encode(_ e: Event, into bytes: inout [UInt8]) {
        var w = Writer(out: bytes)
        bytes = []
        w.event(e)
        bytes = w.out
    }

    /// The event whose bytes are exactly `bytes`.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> Event {
        var r = Reader(bytes: bytes)
        let e = try r.event()
        guard r.at == bytes.count else { throw Malformed(description: "\(bytes.count - r.at) bytes after the event") }
        return e
    }
}

private struct Writer {
    var out: [UInt8]

    mutating func unsigned(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    mutating func int(_ v: Int) { unsigned(UInt64(bitPattern: Int64((v << 1) ^ (v >> (Int.bitWidth - 1))))) }
    mutating func count(_ n: Int) { unsigned(UInt64(n)) }
    mutating func bool(_ b: Bool) { out.append(b ? 1 : 0) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            count(u.count)
            out.append(contentsOf: u)
        }
    }

    mutating func optional<T>(_ v: T?, _ write: (inout Writer, T) -> Void) {
        guard let v else { return out.append(0) }
        out.append(1)
        write(&self, v)
    }

    mutating func array<T>(_ a: [T], _ write: (inout Writer, T) -> Void) {
        count(a.count)
        for v in a { write(&self, v) }
    }

    mutating func string(_ s: String?) { optional(s) { $0.string($1) } }
    mutating func int(_ v: Int?) { optional(v) { $0.int($1) } }
    mutating func strings(_ a: [String]) { array(a) { $0.string($1) } }

    mutating func date(_ d: LocalDate) {
        int(d.year)
        int(d.month)
        int(d.day)
    }

    mutating func dateTime(_ t: LocalDateTime) {
        date(t.date)
        int(t.hour)
        int(t.minute)
        int(t.second)
    }

    mutating func time(_ t: EventTime) {
        switch t {
        case .date(let d):
            out.append(0)
            date(d)
        case .floating(let l):
            out.append(1)
            dateTime(l)
        case .utc(let l):
            out.append(2)
            dateTime(l)
        case .zoned(let l, let tzid, let offset):
            out.append(3)
            dateTime(l)
            string(tzid)
            int(offset)
        }
    }

    mutating func duration(_ d: ICalDuration) {
        bool(d.isNegative)
        int(d.weeks)
        int(d.days)
        int(d.hours)
        int(d.minutes)
        int(d.seconds)
    }

    mutating func parameter(_ p: Parameter) {
        string(p.name)
        if let one = p.singleValue {
            count(1)
            string(one)
        } else {
            strings(p.values)
        }
    }

    mutating func parameters(_ a: [Parameter]) { array(a) { $0.parameter($1) } }

    mutating func property(_ p: Property) {
        string(p.name)
        parameters(p.parameters)
        string(p.value)
    }

    mutating func user(_ u: CalendarUser) {
        string(u.address)
        string(u.commonName)
        string(u.role?.text)
        string(u.participationStatus?.text)
        string(u.userType?.text)
        optional(u.rsvp) { $0.bool($1) }
        parameters(u.parameters)
    }

    mutating func alarm(_ a: Alarm) {
        string(a.action.text)
        optional(a.trigger) { w, t in
            switch t {
            case .relative(let d, let end):
                w.out.append(0)
                w.duration(d)
                w.bool(end)
            case .absolute(let l):
                w.out.append(1)
                w.dateTime(l)
            }
        }
        string(a.description)
        string(a.summary)
        int(a.repeatCount)
        optional(a.repeatInterval) { $0.duration($1) }
        array(a.attendees) { $0.user($1) }
        parameters(a.triggerParameters)
        array(a.properties) { $0.property($1) }
    }

    mutating func recurrenceDate(_ r: RecurrenceDate) {
        switch r {
        case .time(let t):
            out.append(0)
            time(t)
        case .period(let s, let e):
            out.append(1)
            time(s)
            time(e)
        case .periodWithDuration(let s, let d):
            out.append(2)
            time(s)
            duration(d)
        }
    }

    mutating func event(_ e: Event) {
        string(e.uid)
        optional(e.recurrenceID) { $0.time($1) }
        bool(e.recurrenceIDThisAndFuture)
        optional(e.start) { $0.time($1) }
        optional(e.end) { $0.time($1) }
        optional(e.duration) { $0.duration($1) }
        string(e.summary)
        string(e.description)
        string(e.location)
        string(e.status?.rawValue)
        string(e.transparency?.rawValue)
        string(e.classification?.text)
        int(e.sequence)
        int(e.priority)
        optional(e.created) { $0.dateTime($1) }
        optional(e.lastModified) { $0.dateTime($1) }
        optional(e.timestamp) { $0.dateTime($1) }
        optional(e.organizer) { $0.user($1) }
        array(e.attendees) { $0.user($1) }
        array(e.alarms) { $0.alarm($1) }
        strings(e.recurrenceRules)
        strings(e.exceptionRules)
        array(e.recurrenceDates) { $0.recurrenceDate($1) }
        array(e.exceptionDates) { $0.time($1) }
        string(e.url)
        strings(e.categories)
        string(e.color)
        array(e.attachments) { w, a in
            w.string(a.uri)
            w.string(a.inlineBase64)
            w.string(a.formatType)
            w.parameters(a.parameters)
        }
        array(e.properties) { $0.property($1) }
        // In key order, so that equal events give equal bytes.
        array(e.propertyParameters.sorted { $0.key < $1.key }) { w, entry in
            w.string(entry.key)
            w.parameters(entry.value)
        }
        string(e.rejection)
    }
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func malformed(_ what: String) -> EventCoding.Malformed { EventCoding.Malformed(description: "\(what) at byte \(at)") }

    mutating func byte() throws(EventCoding.Malformed) -> UInt8 {
        guard at < bytes.count else { throw malformed("the bytes end") }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func unsigned() throws(EventCoding.Malformed) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw malformed("a number too long") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    mutating func int() throws(EventCoding.Malformed) -> Int {
        let u = try unsigned()
        return Int(truncatingIfNeeded: Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
    }

    mutating func count() throws(EventCoding.Malformed) -> Int {
        let n = try unsigned()
        // Every element takes at least a byte.
        guard n <= UInt64(bytes.count - at) else { throw malformed("a count beyond the end") }
        return Int(n)
    }

    mutating func bool() throws(EventCoding.Malformed) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw malformed("a flag that is not 0 or 1")
        }
    }

    mutating func string() throws(EventCoding.Malformed) -> String {
        let n = try count()
        defer { at += n }
        // The bytes are a Swift string's, so valid UTF-8: read as they are (and repaired, not
        // refused, were they not).
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + n]), as: UTF8.self)
    }

    mutating func optional<T>(_ read: (inout Reader) throws(EventCoding.Malformed) -> T) throws(EventCoding.Malformed) -> T? {
        try bool() ? read(&self) : nil
    }

    mutating func array<T>(_ read: (inout Reader) throws(EventCoding.Malformed) -> T) throws(EventCoding.Malformed) -> [T] {
        let n = try count()
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try read(&self)) }
        return out
    }

    mutating func optionalString() throws(EventCoding.Malformed) -> String? { try optional { r throws(EventCoding.Malformed) in try r.string() } }
    mutating func optionalInt() throws(EventCoding.Malformed) -> Int? { try optional { r throws(EventCoding.Malformed) in try r.int() } }
    mutating func strings() throws(EventCoding.Malformed) -> [String] { try array { r throws(EventCoding.Malformed) in try r.string() } }

    mutating func date() throws(EventCoding.Malformed) -> LocalDate {
        let y = try int(), m = try int(), d = try int()
        return LocalDate(year: y, month: m, day: d)
    }

    mutating func dateTime() throws(EventCoding.Malformed) -> LocalDateTime {
        let d = try date()
        let h = try int(), m = try int(), s = try int()
        return LocalDateTime(date: d, hour: h, minute: m, second: s)
    }

    mutating func time() throws(EventCoding.Malformed) -> EventTime {
        switch try byte() {
        case 0: return .date(try date())
        case 1: return .floating(try dateTime())
        case 2: return .utc(try dateTime())
        case 3:
            let l = try dateTime()
            let tzid = try string()
            return .zoned(l, tzid: tzid, utcOffset: try optionalInt())
        default: throw malformed("an unknown kind of time")
        }
    }

    mutating func duration() throws(EventCoding.Malformed) -> ICalDuration {
        let negative = try bool()
        let w = try int(), d = try int(), h = try int(), m = try int(), s = try int()
        return ICalDuration(isNegative: negative, weeks: w, days: d, hours: h, minutes: m, seconds: s)
    }

    mutating func parameter() throws(EventCoding.Malformed) -> Parameter {
        let name = try string()
        let n = try count()
        if n == 1 { return Parameter(name, try string()) }
        var values: [String] = []
        for _ in 0..<n { values.append(try string()) }
        return Parameter(name: name, values: values)
    }

    mutating func parameters() throws(EventCoding.Malformed) -> [Parameter] { try array { r throws(EventCoding.Malformed) in try r.parameter() } }

    mutating func property() throws(EventCoding.Malformed) -> Property {
        let name = try string()
        let parameters = try parameters()
        return Property(name: name, parameters: parameters, value: try string())
    }

    mutating func user() throws(EventCoding.Malformed) -> CalendarUser {
        var u = CalendarUser(address: try string())
        u.commonName = try optionalString()
        u.role = try optionalString().map { ParticipantRole($0) }
        u.participationStatus = try optionalString().map { ParticipationStatus($0) }
        u.userType = try optionalString().map { CalendarUserType($0) }
        u.rsvp = try optional { r throws(EventCoding.Malformed) in try r.bool() }
        u.parameters = try parameters()
        return u
    }

    mutating func alarm() throws(EventCoding.Malformed) -> Alarm {
        let action = AlarmAction(try string())
        let trigger = try optional { r throws(EventCoding.Malformed) -> Alarm.Trigger in
            switch try r.byte() {
            case 0:
                let d = try r.duration()
                return .relative(d, relatedToEnd: try r.bool())
            case 1: return .absolute(try r.dateTime())
            default: throw r.malformed("an unknown kind of trigger")
            }
        }
        var a = Alarm(action: action, trigger: trigger)
        a.description = try optionalString()
        a.summary = try optionalString()
        a.repeatCount = try optionalInt()
        a.repeatInterval = try optional { r throws(EventCoding.Malformed) in try r.duration() }
        a.attendees = try array { r throws(EventCoding.Malformed) in try r.user() }
        a.triggerParameters = try parameters()
        a.properties = try array { r throws(EventCoding.Malformed) in try r.property() }
        return a
    }

    mutating func recurrenceDate() throws(EventCoding.Malformed) -> RecurrenceDate {
        switch try byte() {
        case 0: return .time(try time())
        case 1:
            let s = try time()
            return .period(start: s, end: try time())
        case 2:
            let s = try time()
            return .periodWithDuration(start: s, duration: try duration())
        default: throw malformed("an unknown kind of RDATE")
        }
    }

    mutating func raw<T: RawRepresentable<String>>(_: T.Type) throws(EventCoding.Malformed) -> T? {
        guard let text = try optionalString() else { return nil }
        guard let v = T(rawValue: text) else { throw malformed("an unknown value \(text)") }
        return v
    }

    mutating func event() throws(EventCoding.Malformed) -> Event {
        var e = Event()
        e.uid = try optionalString()
        e.recurrenceID = try optional { r throws(EventCoding.Malformed) in try r.time() }
        e.recurrenceIDThisAndFuture = try bool()
        e.start = try optional { r throws(EventCoding.Malformed) in try r.time() }
        e.end = try optional { r throws(EventCoding.Malformed) in try r.time() }
        e.duration = try optional { r throws(EventCoding.Malformed) in try r.duration() }
        e.summary = try optionalString()
        e.description = try optionalString()
        e.location = try optionalString()
        e.status = try raw(Status.self)
        e.transparency = try raw(Transparency.self)
        e.classification = try optionalString().map { Classification($0) }
        e.sequence = try optionalInt()
        e.priority = try optionalInt()
        e.created = try optional { r throws(EventCoding.Malformed) in try r.dateTime() }
        e.lastModified = try optional { r throws(EventCoding.Malformed) in try r.dateTime() }
        e.timestamp = try optional { r throws(EventCoding.Malformed) in try r.dateTime() }
        e.organizer = try optional { r throws(EventCoding.Malformed) in try r.user() }
        e.attendees = try array { r throws(EventCoding.Malformed) in try r.user() }
        e.alarms = try array { r throws(EventCoding.Malformed) in try r.alarm() }
        e.recurrenceRules = try strings()
        e.exceptionRules = try strings()
        e.recurrenceDates = try array { r throws(EventCoding.Malformed) in try r.recurrenceDate() }
        e.exceptionDates = try array { r throws(EventCoding.Malformed) in try r.time() }
        e.url = try optionalString()
        e.categories = try strings()
        e.color = try optionalString()
        e.attachments = try array { r throws(EventCoding.Malformed) in
            var a = Attachment(uri: try r.optionalString())
            a.inlineBase64 = try r.optionalString()
            a.formatType = try r.optionalString()
            a.parameters = try r.parameters()
            return a
        }
        e.properties = try array { r throws(EventCoding.Malformed) in try r.property() }
        let entries = try array { r throws(EventCoding.Malformed) -> (String, [Parameter]) in
            let key = try r.string()
            return (key, try r.parameters())
        }
        var seen: [String: [Parameter]] = [:]
        for (k, v) in entries {
            guard seen.updateValue(v, forKey: k) == nil else { throw malformed("a repeated key \(k)") }
        }
        e.propertyParameters = seen
        e.rejection = try optionalString()
        return e
    }
}
