import CalendarModel

/// The typed values of a VEVENT read by calport itself when every line libical would be
/// given is in a plain form whose reading is certain: `DTSTART;TZID=Europe/Paris:20240105T090000`,
/// `DTSTAMP:20240101T120000Z`, `SEQUENCE:2`, `DURATION:PT1H`, a VALARM's `TRIGGER:-PT15M`.
/// Such lines are what nearly every calendar holds, and for them libical's parse of the
/// component (a tree allocated and freed per event) gives exactly these values and no error;
/// `PlainTypedValuesTests` holds the two readings equal. Anything else (another parameter, a
/// PERIOD, a lower-case `t`, a date that does not exist, a VALARM inside something, a line
/// that is not a content line) returns nil, and the event goes through libical as before, so
/// its diagnostics are libical's.
enum PlainTypedValues {
    /// The values in libical's order (the VEVENT's own properties, in source order), or nil.
    static func read(_ tree: RawComponent, truncated: Bool) -> [TypedValue]? {
        guard !truncated, tree.malformed.isEmpty else { return nil }
        for child in tree.children {
            guard child.name == "VALARM", child.children.isEmpty, child.malformed.isEmpty, plainAlarm(child) else { return nil }
        }
        var out: [TypedValue] = []
        out.reserveCapacity(8)
        for line in tree.properties {
            let p = line.property
            switch line.kind {
            case .dtstart, .dtend:
                guard let t = time(p, allowRange: false) else { return nil }
                out.append(line.kind == .dtstart ? .dtstart(t.time) : .dtend(t.time))
            case .recurrenceID:
                guard let t = time(p, allowRange: true) else { return nil }
                out.append(.recurrenceID(t.time, thisAndFuture: t.thisAndFuture))
            case .exdate, .rdate:
                guard let list = times(p) else { return nil }
                for t in list { out.append(line.kind == .exdate ? .exdate(t) : .rdate(t)) }
            case .duration:
                guard p.parameters.isEmpty, let d = duration(p.value) else { return nil }
                out.append(.duration(d))
            case .created, .lastModified, .dtstamp:
                guard p.parameters.isEmpty, let t = dateTime(p.value), !t.isDate else { return nil }
                out.append(line.kind == .created ? .created(t) : line.kind == .dtstamp ? .timestamp(t) : .lastModified(t))
            case .sequence, .priority:
                guard p.parameters.isEmpty, let n = integer(p.value) else { return nil }
                out.append(line.kind == .sequence ? .sequence(n) : .priority(n))
            case .rrule, .exrule:
                // libical's typed values hold no rule; `RuleValidation` checks and reports it
                // (libical reports an empty one itself).
                guard p.parameters.isEmpty, !p.value.isEmpty else { return nil }
            case .trigger, .repeat:
                return nil  // only a VALARM's
            default:
                continue
            }
        }
        return out
    }

    /// A VALARM whose lines libical reads (TRIGGER, REPEAT, DURATION) are plain, and which
    /// has none of the others.
    private static func plainAlarm(_ alarm: RawComponent) -> Bool {
        for line in alarm.properties {
            let p = line.property
            switch line.kind {
            case .trigger:
                // A duration (RELATED and VALUE=DURATION at most once each) or VALUE=DATE-TIME and a UTC time.
                if p.parameters.count <= 2, p.parameters.count < 2 || p.parameters[0].name != p.parameters[1].name,
                   p.parameters.allSatisfy({ isOne($0, "RELATED", ["START", "END"]) || isOne($0, "VALUE", ["DURATION"]) }) {
                    guard duration(p.value) != nil else { return false }
                } else if p.parameters.count == 1, isOne(p.parameters[0], "VALUE", ["DATE-TIME"]) {
                    guard let t = dateTime(p.value), t.isUTC else { return false }
                } else {
                    return false
                }
            case .repeat:
                guard p.parameters.isEmpty, integer(p.value) != nil else { return false }
            case .duration:
                guard p.parameters.isEmpty, duration(p.value) != nil else { return false }
            default:
                if libicalKinds & line.kind.bit != 0 { return false }
            }
        }
        return true
    }

    /// The kinds of the lines libical is given (`RawComponentText.libicalProperties`), one bit each.
    private static let libicalKinds: UInt64 = RawComponentText.libicalPropertyNames.reduce(0) { $0 | PropertyKind(name: $1).bit }

    private static func isOne(_ p: Parameter, _ name: String, _ allowed: Set<String>) -> Bool {
        guard p.name == name, let v = p.singleValue else { return false }
        return allowed.contains(v)
    }

    /// The TZID of a time property and whether it is a DATE, when its parameters are plain:
    /// at most one TZID (one non-empty value) and one VALUE (DATE or DATE-TIME).
    private static func timeParameters(_ p: Property, allowRange: Bool) -> (tzid: String?, valueIsDate: Bool?, thisAndFuture: Bool)? {
        var tzid: String?
        var valueIsDate: Bool?
        var thisAndFuture = false
        for param in p.parameters {
            switch param.name {
            case "TZID" where tzid == nil && !(param.singleValue ?? "").isEmpty:
                tzid = param.singleValue
            case "VALUE" where valueIsDate == nil && isOne(param, "VALUE", ["DATE", "DATE-TIME"]):
                valueIsDate = param.singleValue == "DATE"
            case "RANGE" where allowRange && !thisAndFuture && isOne(param, "RANGE", ["THISANDFUTURE"]):
                thisAndFuture = true
            default:
                return nil
            }
        }
        return (tzid, valueIsDate, thisAndFuture)
    }

    private static func time(_ p: Property, allowRange: Bool) -> (time: LibicalTime, thisAndFuture: Bool)? {
        guard let params = timeParameters(p, allowRange: allowRange), let t = value(dateTime(p.value), params) else { return nil }
        return (t, params.thisAndFuture)
    }

    /// EXDATE and RDATE: a comma-separated list, each item its own value (as libical splits it).
    private static func times(_ p: Property) -> [LibicalTime]? {
        guard let params = timeParameters(p, allowRange: false) else { return nil }
        var text = p.value
        return text.withUTF8 { u -> [LibicalTime]? in
            var out: [LibicalTime] = []
            for item in u.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard let t = value(dateTime(UnsafeBufferPointer(rebasing: item)), params) else { return nil }
                out.append(t)
            }
            return out
        }
    }

    /// A DATE or DATE-TIME agreeing with the VALUE parameter; a UTC time takes no TZID.
    private static func value(_ time: LibicalTime?, _ params: (tzid: String?, valueIsDate: Bool?, thisAndFuture: Bool)) -> LibicalTime? {
        guard var t = time else { return nil }
        if let isDate = params.valueIsDate, isDate != t.isDate { return nil }
        // A TZID on a UTC time or on a date says nothing libical would keep quietly.
        if params.tzid != nil && (t.isUTC || t.isDate) { return nil }
        t.tzid = params.tzid
        return t
    }

    /// `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ` (upper-case letters), a real date and time.
    static func dateTime(_ s: String) -> LibicalTime? {
        var s = s
        return s.withUTF8 { dateTime($0) }
    }

    static func dateTime(_ v: UnsafeBufferPointer<UInt8>) -> LibicalTime? {
        guard v.count == 8 || v.count == 15 || (v.count == 16 && v[15] == UInt8(ascii: "Z")) else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var n = 0
            for i in r {
                guard v[i] >= 0x30, v[i] <= 0x39 else { return nil }
                n = n * 10 + Int(v[i] - 0x30)
            }
            return n
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), year >= 1,
              LocalDate(year: year, month: month, day: day).isValid else { return nil }
        if v.count == 8 {
            return LibicalTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0, isDate: true, isUTC: false, tzid: nil)
        }
        guard v[8] == UInt8(ascii: "T"), let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
              hour < 24, minute < 60, second < 60 else { return nil }
        return LibicalTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                           isDate: false, isUTC: v.count == 16, tzid: nil)
    }

    /// RFC 5545 3.3.6: `[+-]P` then `nW`, or `nD` and/or `T` with `nH`, `nM`, `nS` in that
    /// order (at least one after `T`); each number at most 9 digits.
    static func duration(_ s: String) -> ICalDuration? {
        var v = Array(s.utf8)[...]
        var negative = false
        if let f = v.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            negative = f == UInt8(ascii: "-")
            v = v.dropFirst()
        }
        guard v.first == UInt8(ascii: "P") else { return nil }
        v = v.dropFirst()
        func number() -> (Int, UInt8)? {
            var n = 0, digits = 0
            while let c = v.first, c >= 0x30, c <= 0x39 {
                n = n * 10 + Int(c - 0x30)
                digits += 1
                v = v.dropFirst()
            }
            guard digits > 0, digits <= 9, let unit = v.first else { return nil }
            v = v.dropFirst()
            return (n, unit)
        }
        var d = ICalDuration(isNegative: negative, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0)
        guard !v.isEmpty else { return nil }
        if v.first != UInt8(ascii: "T") {
            guard let (n, unit) = number() else { return nil }
            switch unit {
            case UInt8(ascii: "W"):
                d.weeks = n
                return v.isEmpty ? d : nil
            case UInt8(ascii: "D"): d.days = n
            default: return nil
            }
            if v.isEmpty { return d }
        }
        guard v.first == UInt8(ascii: "T") else { return nil }
        v = v.dropFirst()
        var order = 0  // H, M, S may each come once, in that order
        repeat {
            guard let (n, unit) = number() else { return nil }
            switch unit {
            case UInt8(ascii: "H") where order < 1: d.hours = n; order = 1
            case UInt8(ascii: "M") where order < 2: d.minutes = n; order = 2
            case UInt8(ascii: "S") where order < 3: d.seconds = n; order = 3
            default: return nil
            }
        } while !v.isEmpty
        return d
    }

    /// Up to 9 digits, no sign.
    static func integer(_ s: String) -> Int? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 9, u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(s)
    }
}

extension LibicalTime {
    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, isDate: Bool, isUTC: Bool, tzid: String?) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
        self.isDate = isDate
        self.isUTC = isUTC
        self.tzid = tzid
    }
}
