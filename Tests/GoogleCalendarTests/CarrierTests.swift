import CalendarModel
@testable import GoogleCalendar
import Testing

/// The carrier's keys: the name, `#n` for its n-th repeat, `~i` for the pieces of a long value,
/// and a shortened name with a hash for a name too long for a key.
@Suite struct CarrierTests {
    /// The key scheme restated plainly: every base counted in one dictionary.
    static func plainEncode(_ lines: [(name: String, rest: String)]) -> [String: String] {
        var out: [String: String] = [:]
        var used: [String: Int] = [:]
        for (name, rest) in lines {
            let shortened = name.count > 36
            var base = shortened ? String(name.prefix(27)) + "-" + Carrier.shortHash(name) : name
            let n = (used[base] ?? 0) + 1
            used[base] = n
            if n > 1 { base += "#\(n)" }
            for (i, piece) in Carrier.chunks(shortened ? name + rest : rest, Carrier.maximumValueLength).enumerated() {
                out[i == 0 ? base : base + "~\(i + 1)"] = piece
            }
        }
        return out
    }

    @Test func repeatsAndPiecesAreNumberedAsTheSchemeSays() {
        let long = String(repeating: "x", count: 2500)
        let longName = "X-" + String(repeating: "VERY-LONG-", count: 5)
        let cases: [[(name: String, rest: String)]] = [
            [],
            [("CLASS", ":PUBLIC")],
            [("VALARM", ":A"), ("VALARM", ":B"), ("X-A", ":1"), ("VALARM", ":C")],
            [("X-BLOB", ":" + long), ("X-BLOB", ":" + long), ("X-BLOB", ":short")],
            [(longName, ":1"), (longName, ":2"), (longName + "Y", ":3")],
            // Names the tokenizer never makes, which the key scheme still keeps apart as it did.
            [("A", ":1"), ("A", ":2"), ("A#2", ":3"), ("A#2", ":4"), ("B~2", ":5"), ("B", ":" + long)],
            [("A#2", ":1"), ("A", ":2"), ("A", ":3")],
            // A long value first and then a short one under one name, and the other way round;
            // non-ASCII values and names (over 36 bytes, and over 36 bytes but not characters).
            [("X-BLOB", ":" + long), ("X-BLOB", ":a"), ("X-C", ":b"), ("X-C", ":" + long), ("X-C", ":c")],
            [("X-TEXT", ":" + String(repeating: "é日", count: 400)), ("X-TEXT", ":ü"), ("X-TEXT", ":" + String(repeating: "ü", count: 600))],
            [("X-" + String(repeating: "É", count: 20), ":1"), ("X-" + String(repeating: "É", count: 20), ":2"),
             ("X-" + String(repeating: "É", count: 40), ":3"), ("X-" + String(repeating: "É", count: 40), ":" + long)],
            [(longName, ":" + long), (longName, ":short"), ("X-A", ":1"), ("X-A", ":2"), ("X-A", ":3"), ("X-B", ":4")],
        ]
        for lines in cases {
            #expect(Carrier.encode(rests: lines) == Self.plainEncode(lines), "\(lines.map(\.name))")
        }
        let d = Carrier.encode(rests: [("VALARM", ":A"), ("VALARM", ":B"), ("VALARM", ":C")])
        #expect(d == ["VALARM": ":A", "VALARM#2": ":B", "VALARM#3": ":C"])
    }

    /// Long values cut into pieces of at most so many bytes, Character by Character.
    static func plainChunks(_ s: String, _ size: Int) -> [String] {
        var out: [String] = []
        var current = ""
        for c in s {
            if current.utf8.count + c.utf8.count > size {
                out.append(current)
                current = ""
            }
            current.append(c)
        }
        if !current.isEmpty || out.isEmpty { out.append(current) }
        return out
    }

    /// `chunks` cuts on the bytes when every scalar is a Character of its own (below U+0300,
    /// no CR): where a cut falls there, after a one-byte or two-byte scalar, and beside text
    /// that takes the Character-wise path.
    @Test func piecesOnBytesAreThePiecesByCharacter() {
        let texts = ["", "plain ascii text", "été à Zürich, naïve façade", "ǅʰˇ߿ÿ", "e\u{301}e\u{301}x", "cr\r\nlf\r\n", "lone\rcr",
                     "日本語のテキスト", "\u{1F4C5}\u{1F4C5}", "🇩🇪🇫🇷", "aé\u{2FF}\u{300}b", "\u{7F}\u{80}\u{AD}é",
                     "👨‍👩‍👧‍👦 family", "🇩🇪🇫", "한국어 ᄀᄀᄀ각", "a" + String(repeating: "\u{301}", count: 9) + "b", "x\r\n\r\ny",
                     "<p>会議は延期されました。</p>"]
        for text in texts {
            for repeats in [1, 3, 50] {
                let s = String(repeating: text, count: repeats)
                for size in [2, 3, 4, 5, 7, 16, 1024] {
                    #expect(Carrier.chunks(s, size) == Self.plainChunks(s, size), "\(s.debugDescription) \(size)")
                }
            }
        }
        let html = String(repeating: "<p>Ce rendez-vous a été déplacé à la demande du client.</p>", count: 60)
        #expect(Carrier.chunks(html, Carrier.maximumValueLength) == Self.plainChunks(html, Carrier.maximumValueLength))
        let japanese = String(repeating: "<p>会議は延期されました。資料をご確認ください。</p>", count: 40)
        #expect(Carrier.chunks(japanese, Carrier.maximumValueLength) == Self.plainChunks(japanese, Carrier.maximumValueLength))
    }

    /// What each carried line is worth when not all fit: calport's markers, spellings, other
    /// vendors' `X-` lines (told by their first bytes) and everything else.
    @Test func worthOfCarriedLines() {
        let cases: [(String, String, Carrier.Worth)] = [
            ("X-CALPORT-FLOATING", ":TRUE", .essential), ("X-CALPORT-RANGE", ":THISANDFUTURE", .essential),
            (SeriesShapes.syntheticSeriesMarker, ":TRUE", .essential), ("RECURRENCE-ID", ":20240101", .essential),
            ("DURATION", ":PT1H", .spelling), ("COLOR", ":red", .spelling), ("X-CALPORT-PARAMETERS", ";X-PROPERTY=SUMMARY:", .spelling),
            ("CLASS", ":PUBLIC", .spelling), ("CLASS", ":X-SECRET", .meaning),
            ("X-MICROSOFT-CDO-BUSYSTATUS", ":BUSY", .vendor), ("X-", ":1", .vendor), ("X-C", ":1", .vendor),
            ("X-CALPORT-ATTENDEES", ";RSVP=TRUE:a@x", .vendor), ("X-CUSTOM", ":1", .vendor), ("X-\u{301}A", ":1", .meaning),
            ("X-é", ":1", .vendor), ("VALARM", ":ACTION:DISPLAY", .meaning), ("CATEGORIES", ":A", .meaning), ("x-lower", ":1", .meaning),
        ]
        for (name, rest, worth) in cases {
            #expect(GoogleEventMapper.worth(of: name, rest) == worth, "\(name)")
        }
    }
}
