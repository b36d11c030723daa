@testable import CalendarModel
import Testing

/// Byte-level readings and writings held to the ones they replace, on edge cases.
@Suite struct ByteReadingTests {
    /// `escape` as it was written on Unicode scalars.
    static func escapeScalars(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": continue  // CR LF and lone CR both become \n via the LF or below
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    @Test func escapeOnBytesIsEscapeOnScalars() {
        let texts = ["", "plain", "a,b;c\\d", "line\nbreak", "cr\r\nlf", "lone\rcr", "é,ü;\n", "日本語\\n",
                     "\u{1F4C5};,", "e\u{301},x", "\r", "\n\n", ",;\\", "tab\there", "🇩🇪,🇫🇷"]
        for t in texts {
            #expect(ICalText.escape(t) == Self.escapeScalars(t), "\(t.debugDescription)")
            #expect(Array(ICalText.escape(t).utf8) == Array(Self.escapeScalars(t).utf8))
        }
    }
}
