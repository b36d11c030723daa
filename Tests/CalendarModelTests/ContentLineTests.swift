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
}
