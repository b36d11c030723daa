@testable import CalendarModel
import Testing

/// The byte-level readings of durations, TEXT escapes and content lines after a known name,
/// held to the readings they replace, on edge cases.
@Suite struct ByteReadingTests {
    static let durations = [
        "PT15M", "-PT15M", "+PT15M", "-P1D", "P1W", "P2W3D", "pt1h", "-p1dt2h3m4s", "P", "PT", "-P", "",
        "P1DT", "PT1H2H", "P1H", "PT1D", "P1W2W", "P1D1W", "PTT1H", "P1T", "P01D", "PT0S", "P0D",
        "P9223372036854775807D", "P9223372036854775808D", "P99999999999999999999W", "PT1M ", " PT1M",
        "P1DxT", "PT1h30m", "PT1M\r\n", "PT1\r\nM", "P1D\u{301}", "PT5M\u{0}", "--PT1M", "+-PT1M", "P-1D",
    ]

    @Test func durationBytesReadAsCharacters() {
        for text in Self.durations {
            #expect(ICalDuration(icalString: text) == ICalDuration(characters: text), "\(text.debugDescription)")
        }
        // Not ASCII: the Characters decide.
        let notASCII = Array("P1D\u{301}".utf8).withUnsafeBufferPointer { ICalDuration.readASCII($0) == nil }
        #expect(notASCII)
        #expect(ICalDuration(icalString: "-PT15M") == ICalDuration(isNegative: true, minutes: 15))
        #expect(ICalDuration(icalString: "P9223372036854775808D") == nil)
    }

    /// The same on 20,000 random short strings over the letters, digits and signs a duration
    /// uses, and on text that upper-cases to ASCII (`ſ` is `S`).
    @Test func randomDurationBytesReadAsCharacters() {
        let alphabet: [String] = ["P", "p", "T", "t", "W", "D", "d", "H", "M", "S", "s", "+", "-", "0", "1", "9", " ", "\r\n", "X"]
        var state: UInt64 = 0x5EED
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var text = "", r = state
            for _ in 0..<Int(r % 9) {
                r /= 9
                text += alphabet[Int(r % UInt64(alphabet.count))]
                r /= UInt64(alphabet.count)
            }
            #expect(ICalDuration(icalString: text) == ICalDuration(characters: text), "\(text.unicodeScalars.map { $0.value })")
        }
        for text in ["PT5ſ", "ｐT1H", "PT1H\u{301}", "PT99999999999999999999S", "PT9223372036854775807S", "-pt15m", "P1D2D", "PT1S1H"] {
            #expect(ICalDuration(icalString: text) == ICalDuration(characters: text), "\(text)")
        }
        #expect(ICalDuration(icalString: "PT5ſ")?.seconds == 5)
    }

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

    @Test func lineAfterAKnownNameReadsAsTheWholeLine() {
        let names = ["X-MICROSOFT-CDO-BUSYSTATUS", "VALARM", "ATTENDEE", "X_1", "X-CALPORT-ATTENDEES"]
        let rests = [":BUSY", ";X-P=1:v", ";CN=\"Doe, J\";RSVP=TRUE:mailto:a@example.com", ":", ";A=1,2,\"3:4\":x",
                     ":ACTION:DISPLAY\nTRIGGER:-PT5M", ";BAD", ";=1:x", ";A=\"open:x", ":é,ü", ";a=b:c", ";A=1;B=2:"]
        for name in names {
            for rest in rests {
                #expect(Property(name: name, contentLineAfterName: rest) == Property(contentLine: name + rest), "\(name)\(rest)")
            }
        }
        // What the whole line would read differently is refused.
        #expect(Property(name: "", contentLineAfterName: ":x") == nil)
        #expect(Property(name: "lower", contentLineAfterName: ":x") == nil)
        #expect(Property(name: "X", contentLineAfterName: "Y:x") == nil)
        #expect(Property(name: "X", contentLineAfterName: "") == nil)
    }

    /// `contentLineAfterName` (joined as Strings when there are no parameters) is the whole
    /// line's bytes after the name.
    @Test func lineAfterTheNameIsTheWholeLineWithoutIt() {
        let values = ["", "BUSY", "a value longer than a small string holds", "é,ü;日本語\n", "\u{1F4C5}", "mailto:a@example.com"]
        let parameterSets: [[Parameter]] = [[], [Parameter("X-P", "1")], [Parameter("CN", "Doe, J"), Parameter(name: "A", values: ["1", "2"])]]
        for value in values {
            for parameters in parameterSets {
                let p = Property(name: "X-NAME", parameters: parameters, value: value)
                var bytes: [UInt8] = []
                p.appendContentLine(to: &bytes, withName: false)
                #expect(Array(p.contentLineAfterName.utf8) == bytes, "\(value) \(parameters.count)")
                #expect(Array(p.contentLineAfterName.utf8) == Array(p.contentLine.utf8.dropFirst(6)))
            }
        }
    }

    @Test func needlesTogetherAreEachNeedle() {
        let words = [("\"recurrence\"", 8), ("cancelled", 2), ("\\u", 0)]
        let together = Bytes.Needles(words.map { (text: $0.0, anchor: $0.1) })
        let alone = words.map { Bytes.Needle($0.0) }
        // Haystacks of the needles' letters, so that near misses, overlaps and the edges of the
        // 16-byte steps all occur; some with a needle placed at each offset.
        let alphabet = Array("\"recurancld\\u ".utf8)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33)
        }
        var found = 0
        for round in 0..<4000 {
            var hay = (0..<(next() % 70)).map { _ in alphabet[next() % alphabet.count] }
            if round % 3 == 0 {
                let w = Array(words[next() % words.count].0.utf8)
                let at = next() % (hay.count + 1)
                hay.insert(contentsOf: w, at: at)
            }
            let expected = alone.contains { Bytes.contains(hay, $0) }
            #expect(Bytes.containsAny(hay, together) == expected, "\(String(decoding: hay, as: UTF8.self).debugDescription)")
            if expected { found += 1 }
        }
        #expect(found > 1000)
        #expect(!Bytes.containsAny([], together))
        #expect(Bytes.containsAny(Array("\\u".utf8), together))
        #expect(Bytes.containsAny(Array(String(repeating: "x", count: 15).utf8) + Array("cancelled".utf8), together))
        #expect(!Bytes.containsAny(Array(String(repeating: "x", count: 15).utf8) + Array("cancelle".utf8), together))
    }
}
