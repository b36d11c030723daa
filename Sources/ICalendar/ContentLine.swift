import CalendarModel

/// A content line of the input and the line it started on.
struct ContentLine {
    var property: Property
    var line: Int

    var name: String { property.name }
    var parameters: [Parameter] { property.parameters }
    var value: String { property.value }

    func parameter(_ name: String) -> String? {
        property.parameters.first { $0.name == name }?.value
    }

    /// calport's own tokenizer (see `Property.init(contentLine:)`): libical 3.0 unescapes X-
    /// values, re-quotes parameter lists and drops unknown IANA properties, so verbatim
    /// preservation cannot go through it.
    init?(_ text: String, line: Int) {
        guard let p = Property(contentLine: text) else { return nil }
        property = p
        self.line = line
    }
}

/// RFC 6868 parameter value encoding (`^n`, `^'`, `^^`).
enum ParameterText {
    static func decode(_ s: String) -> String {
        guard s.contains("^") else { return s }
        var out = ""
        var caret = false
        for c in s {
            if caret {
                switch c {
                case "n": out += "\n"
                case "'": out += "\""
                case "^": out += "^"
                default: out += "^" + String(c)
                }
                caret = false
            } else if c == "^" {
                caret = true
            } else {
                out.append(c)
            }
        }
        if caret { out += "^" }
        return out
    }

    static func encode(_ s: String) -> String {
        guard s.contains(where: { $0 == "^" || $0 == "\"" || $0 == "\n" || $0 == "\r\n" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "^": out += "^^"
            case "\"": out += "^'"
            case "\n", "\r\n": out += "^n"
            default: out.append(c)
            }
        }
        return out
    }
}
