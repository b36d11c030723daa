import CalendarModel

extension Verifier {
    /// An event as `compare` reads it, in a fraction of an `Event`'s memory: times packed,
    /// attendees and alarms already in their compared form, recurrence only where there is
    /// some. `verify` holds one per event of both calendars.
    public struct Entry: Sendable {
        var uid: String?
        var recurrenceID: PackedTime?
        var start: PackedTime?
        var end: PackedTime?
        var thisAndFuture = false
        var status: Status?
        var transparency: Transparency?
        var summary: String?
        var description: String?
        var location: String?
        /// The compared forms (`Verifier.attendeesField`, `remindersField`).
        var attendees: String
        var reminders: String
        /// Duration and recurrence, for the events that have them.
        var more: More?

        final class More: @unchecked Sendable {
            var duration: ICalDuration?
            var recurrenceRules: [String]
            var exceptionRules: [String]
            var recurrenceDates: [RecurrenceDate]
            var exceptionDates: [EventTime]
            init(_ e: Event) {
                duration = e.duration
                recurrenceRules = e.recurrenceRules
                exceptionRules = e.exceptionRules
                recurrenceDates = e.recurrenceDates
                exceptionDates = e.exceptionDates
            }
            var isEmpty: Bool {
                duration == nil && recurrenceRules.isEmpty && exceptionRules.isEmpty && recurrenceDates.isEmpty && exceptionDates.isEmpty
            }
        }

        public init(_ e: Event) { self.init(e, texts: nil) }

        /// With `texts`, each text is the pool's copy of it: equal texts of both calendars
        /// share one storage (see `TextPool`).
        public init(_ e: Event, texts: TextPool?) {
            uid = texts.intern(e.uid)
            recurrenceID = e.recurrenceID.map { PackedTime($0, texts: texts) }
            start = e.start.map { PackedTime($0, texts: texts) }
            end = e.end.map { PackedTime($0, texts: texts) }
            thisAndFuture = e.recurrenceIDThisAndFuture
            status = e.status
            transparency = e.transparency
            summary = texts.intern(e.summary)
            description = texts.intern(e.description)
            location = texts.intern(e.location)
            attendees = texts.intern(Verifier.attendeesField(e.attendees))
            reminders = texts.intern(Verifier.remindersField(e.alarms))
            let m = More(e)
            more = m.isEmpty ? nil : m
        }

        /// The event again, without attendees and alarms (their compared forms stay here).
        var event: Event {
            var e = Event()
            e.uid = uid
            e.recurrenceID = recurrenceID?.time
            e.recurrenceIDThisAndFuture = thisAndFuture
            e.start = start?.time
            e.end = end?.time
            e.status = status
            e.transparency = transparency
            e.summary = summary
            e.description = description
            e.location = location
            if let more {
                e.duration = more.duration
                e.recurrenceRules = more.recurrenceRules
                e.exceptionRules = more.exceptionRules
                e.recurrenceDates = more.recurrenceDates
                e.exceptionDates = more.exceptionDates
            }
            return e
        }

        /// This entry with the times, texts and recurrence of `e` (attendees and alarms kept).
        func with(_ e: Event) -> Entry {
            var n = Entry(e)
            n.attendees = attendees
            n.reminders = reminders
            return n
        }
    }

    /// An `EventTime` in 16 bytes plus its TZID; a time whose parts do not fit is kept whole.
    enum PackedTime: Sendable {
        case date(Int32, UInt8, UInt8)
        case floating(Packed)
        case utc(Packed)
        case zoned(Packed, tzid: String, offset: Int32, known: Bool)
        indirect case whole(EventTime)

        struct Packed: Sendable {
            var year: Int32
            var month, day, hour, minute, second: UInt8
            init?(_ l: LocalDateTime) {
                guard let y = Int32(exactly: l.date.year), let mo = UInt8(exactly: l.date.month), let d = UInt8(exactly: l.date.day),
                      let h = UInt8(exactly: l.hour), let mi = UInt8(exactly: l.minute), let s = UInt8(exactly: l.second) else { return nil }
                (year, month, day, hour, minute, second) = (y, mo, d, h, mi, s)
            }
            var local: LocalDateTime {
                LocalDateTime(year: Int(year), month: Int(month), day: Int(day), hour: Int(hour), minute: Int(minute), second: Int(second))
            }
        }

        init(_ t: EventTime, texts: TextPool? = nil) {
            switch t {
            case .date(let d):
                if let y = Int32(exactly: d.year), let m = UInt8(exactly: d.month), let dd = UInt8(exactly: d.day) {
                    self = .date(y, m, dd)
                    return
                }
            case .floating(let l): if let p = Packed(l) { self = .floating(p); return }
            case .utc(let l): if let p = Packed(l) { self = .utc(p); return }
            case .zoned(let l, let z, let o):
                if let p = Packed(l), let off = Int32(exactly: o ?? 0) { self = .zoned(p, tzid: texts.intern(z), offset: off, known: o != nil); return }
            }
            self = .whole(t)
        }

        var time: EventTime {
            switch self {
            case .date(let y, let m, let d): return .date(LocalDate(year: Int(y), month: Int(m), day: Int(d)))
            case .floating(let p): return .floating(p.local)
            case .utc(let p): return .utc(p.local)
            case .zoned(let p, let z, let o, let known): return .zoned(p.local, tzid: z, utcOffset: known ? Int(o) : nil)
            case .whole(let t): return t
            }
        }
    }

    /// The texts of the entries `verify` holds, one storage for each: most texts of A are
    /// also in B (a calendar checked against its own conversion), and each side's entries
    /// would otherwise hold their own copy. Texts are pooled by their exact bytes, so a pooled
    /// text is always the text it stands for (not one that is merely `==`, such as another
    /// Unicode normalisation, which the reports would then print). Texts of up to 15 UTF-8
    /// bytes are left alone: Swift keeps those inside the `String` itself, without storage.
    ///
    /// Not thread-safe: the entries of a calendar are made one at a time, on the thread that
    /// reads it (`CalendarLoader.load`), and `verify` loads its two sides one after the other.
    public final class TextPool {
        private var texts = Set<Key>()
        public init() {}

        /// How many texts the pool holds.
        public var count: Int { texts.count }

        /// `s`, as the pool's copy when there is one (else `s` becomes that copy).
        public func intern(_ s: String) -> String {
            guard s.utf8.count > 15 else { return s }
            return texts.insert(Key(text: s)).memberAfterInsert.text
        }

        /// A text compared byte for byte (`String`'s `==` compares canonical equivalence).
        struct Key: Hashable {
            var text: String
            static func == (a: Key, b: Key) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
            func hash(into hasher: inout Hasher) {
                var t = text
                t.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            }
        }
    }

    static func attendeesField(_ attendees: [CalendarUser]) -> String {
        attendees.map { a in (a.email?.lowercased() ?? a.address) + " " + (a.participationStatus?.text ?? "NEEDS-ACTION") }
            .sorted().joined(separator: ", ")
    }

    static func remindersField(_ alarms: [Alarm]) -> String {
        alarms.map(Verifier.reminder).sorted().joined(separator: ", ")
    }
}

extension Optional where Wrapped == Verifier.TextPool {
    func intern(_ s: String) -> String { self?.intern(s) ?? s }
    func intern(_ s: String?) -> String? { s.map(intern) }
}
