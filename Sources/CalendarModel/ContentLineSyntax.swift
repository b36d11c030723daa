/// RFC 5545 content-line syntax (section 3.1), shared by the iCalendar reader and by the
/// Google mapping, whose `recurrence` field holds iCalendar lines.
extension Property {
    /// Parses an unfolded content line `NAME;PARAM=a,"b:c":value`; nil when it has no
    /// `name:` shape. The name is upper-cased, parameter values lose their quotes, the value
    /// is kept exactly.
    public init?(contentLine text: String) {
        let u = Array(text.utf8)
        var i = 0
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
        }
        while i < u.count, isNameByte(u[i]) { i += 1 }
        guard i > 0, i < u.count, u[i] == UInt8(ascii: ";") || u[i] == UInt8(ascii: ":") else { return nil }
        let name = String(decoding: u[0..<i], as: UTF8.self).uppercased()
        var parameters: [Parameter] = []
        while i < u.count, u[i] == UInt8(ascii: ";") {
            i += 1
            let ns = i
            while i < u.count, isNameByte(u[i]) { i += 1 }
            guard i > ns, i < u.count, u[i] == UInt8(ascii: "=") else { return nil }
            let pname = String(decoding: u[ns..<i], as: UTF8.self).uppercased()
            i += 1
            var values: [String] = []
            while true {
                if i < u.count, u[i] == UInt8(ascii: "\"") {
                    let vs = i + 1
                    i = vs
                    while i < u.count, u[i] != UInt8(ascii: "\"") { i += 1 }
                    guard i < u.count else { return nil }
                    values.append(String(decoding: u[vs..<i], as: UTF8.self))
                    i += 1
                } else {
                    let vs = i
                    while i < u.count, u[i] != UInt8(ascii: ","), u[i] != UInt8(ascii: ";"), u[i] != UInt8(ascii: ":") {
                        i += 1
                    }
                    values.append(String(decoding: u[vs..<i], as: UTF8.self))
                }
                if i < u.count, u[i] == UInt8(ascii: ",") { i += 1; continue }
                break
            }
            parameters.append(Parameter(name: pname, values: values))
        }
        guard i < u.count, u[i] == UInt8(ascii: ":") else { return nil }
        self.init(name: name, parameters: parameters, value: String(decoding: u[(i + 1)...], as: UTF8.self))
    }

    /// The content line (unfolded). Parameter values with `:`, `;` or `,` are quoted.
    public var contentLine: String {
        var s = name
        for p in parameters {
            s += ";" + p.name + "=" + p.values.map(Property.quoteIfNeeded).joined(separator: ",")
        }
        return s + ":" + value
    }

    public static func quoteIfNeeded(_ v: String) -> String {
        var v = v
        if v.contains("\"") {
            var out = ""
            for c in v { if c == "\"" { out += "^'" } else { out.append(c) } }
            v = out
        }
        if v.contains(where: { $0 == ":" || $0 == ";" || $0 == "," }) { return "\"" + v + "\"" }
        return v
    }
}

extension EventTime {
    /// Parses one iCalendar DATE or DATE-TIME value (`20240102`, `20240102T090000`,
    /// `20240102T090000Z`) with the property's TZID. The offset of a zoned time is left nil.
    public init?(icalValue raw: String, tzid: String?) {
        let v = Array(raw.utf8)
        func num(_ r: Range<Int>) -> Int? {
            var n = 0
            for i in r {
                guard i < v.count, v[i] >= 0x30, v[i] <= 0x39 else { return nil }
                n = n * 10 + Int(v[i] - 0x30)
            }
            return n
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8) else { return nil }
        let date = LocalDate(year: y, month: mo, day: d)
        guard date.isValid else { return nil }
        if v.count == 8 { self = .date(date); return }
        guard v.count == 15 || (v.count == 16 && (v[15] == UInt8(ascii: "Z") || v[15] == UInt8(ascii: "z"))),
              v[8] == UInt8(ascii: "T") || v[8] == UInt8(ascii: "t"),
              let h = num(9..<11), let mi = num(11..<13), let s = num(13..<15)
        else { return nil }
        let t = LocalDateTime(date: date, hour: h, minute: mi, second: s)
        guard t.isValid else { return nil }
        if v.count == 16 { self = .utc(t) } else if let tzid { self = .zoned(t, tzid: tzid, utcOffset: nil) } else { self = .floating(t) }
    }

    /// The iCalendar value text (without TZID).
    public var icalValue: String {
        switch self {
        case .date(let d): return d.basicFormat
        case .floating(let l), .zoned(let l, _, _): return l.basicFormat
        case .utc(let l): return l.basicFormat + "Z"
        }
    }

    /// The property parameters that go with `icalValue` (`;VALUE=DATE`, `;TZID=…`).
    public var icalParameters: [Parameter] {
        switch self {
        case .date: return [Parameter("VALUE", "DATE")]
        case .zoned(_, let z, _): return [Parameter("TZID", z)]
        case .floating, .utc: return []
        }
    }
}
