import CalendarModel
import Testing

@Suite struct ContentLineTests {
    @Test func parametersWithQuotesAndLists() throws {
        let p = try #require(Property(contentLine: #"X-FOO;X-A="b:c;d";X-D=e,f;cn=x:val\;x\,y"#))
        #expect(p.name == "X-FOO")
        #expect(p.parameters == [Parameter(name: "X-A", values: ["b:c;d"]), Parameter(name: "X-D", values: ["e", "f"]), Parameter(name: "CN", values: ["x"])])
        #expect(p.value == #"val\;x\,y"#)
        // Written back, it parses to the same property.
        #expect(Property(contentLine: p.contentLine) == p)
    }

    @Test func valueMayContainColons() throws {
        let p = try #require(Property(contentLine: "URL:https://example.com/a?b=c:d"))
        #expect(p.value == "https://example.com/a?b=c:d")
    }

    @Test func notContentLines() {
        for bad in ["no colon here", ":value", "NAME;PARAM:value", #"NAME;P="unterminated:value"#, ""] {
            #expect(Property(contentLine: bad) == nil, "\(bad)")
        }
    }

    @Test func textEscapingRoundTrips() {
        let samples = ["plain", "a;b,c\\d", "line1\nline2", "trailing backslash \\", "", "日本語, emoji 🎉; ok"]
        for s in samples {
            #expect(ICalText.unescape(ICalText.escape(s)) == s)
        }
        #expect(ICalText.escape("a;b,c\\d\ne") == #"a\;b\,c\\d\ne"#)
        #expect(ICalText.unescape(#"Line\NTwo"#) == "Line\nTwo")
        #expect(ICalText.splitList(#"Work,Travel\, abroad,Fun"#) == ["Work", "Travel, abroad", "Fun"])
    }

    /// `escape` and `unescape` work on bytes: they give what a reading by Unicode scalars gives
    /// (`ByteReadingTests.escapeScalars`, and `unescape`'s restated here),
    /// for text with CR LF, a lone CR, multi-byte and combining characters, and escapes at
    /// either end.
    @Test func textEscapingOnBytesAgreesWithScalars() {
        func scalarUnescape(_ s: String) -> String {
            var out = "", escaping = false
            for c in s.unicodeScalars {
                if escaping {
                    out.unicodeScalars.append(c == "n" || c == "N" ? "\n" : c)
                    escaping = false
                } else if c == "\\" {
                    escaping = true
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            return escaping ? out + "\\" : out
        }
        let samples = ["", "plain", "\\", ";", ",", "\n", "\r", "\r\n", "a\r\nb\rc\nd", "e\u{301},;\\", "\\\u{301}x", "日本語, 🎉; ok\\",
                       "\\n\\N\\\\\\;\\,\\x\\", "trailing \\", "\\é", String(repeating: "ab,c;", count: 50)]
        for s in samples {
            #expect(ICalText.escape(s) == ByteReadingTests.escapeScalars(s), "escape \(s.unicodeScalars.map { $0.value })")
            #expect(Array(ICalText.escape(s).utf8) == Array(ByteReadingTests.escapeScalars(s).utf8))
            #expect(ICalText.unescape(s) == scalarUnescape(s), "unescape \(s.unicodeScalars.map { $0.value })")
            #expect(Array(ICalText.unescape(s).utf8) == Array(scalarUnescape(s).utf8))
        }
    }
}

/// The byte search that finds THISANDFUTURE and TZID in whole files.
@Suite struct ByteSearchTests {
    /// Found exactly where a plain scan finds it, for short and long needles, at the start,
    /// the end, overlapping partial matches and not at all.
    @Test func agreesWithAPlainScan() {
        var state: UInt64 = 0xB17E5
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let alphabet = Array("ABT:;\r\n".utf8)
        for round in 0..<3000 {
            let hay = (0..<next(200)).map { _ in alphabet[next(alphabet.count)] }
            var needle = (0..<(1 + next(16))).map { _ in alphabet[next(alphabet.count)] }
            if round % 3 == 0, hay.count > 20 {  // one that is there
                let at = next(hay.count - 16)
                needle = Array(hay[at..<min(hay.count, at + 1 + next(16))])
            }
            let plain = hay.count >= needle.count && (0...(hay.count - needle.count)).contains { Array(hay[$0..<($0 + needle.count)]) == needle }
            #expect(Bytes.contains(hay, needle) == plain, "\(hay) \(needle)")
        }
        #expect(Bytes.contains(Array("X;RANGE=THISANDFUTURE".utf8), Array("THISANDFUTURE".utf8)))
        #expect(!Bytes.contains(Array("THISANDFUTUR".utf8), Array("THISANDFUTURE".utf8)))
    }
}
