import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

private let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus/google-json")

/// calport's JSON reader gives JSONDecoder's `GoogleEvent` for every input it reads, and
/// leaves to JSONDecoder every input it does not.
@Suite struct FastJSONReaderTests {
    /// Compares the two readers on `json`; returns whether the fast one read it.
    @discardableResult
    static func check(_ json: String, _ what: String) -> Bool {
        let bytes = Array(json.utf8)
        let theirs = try? JSONDecoder().decode(GoogleEvent.self, from: Data(bytes))
        guard let mine = FastJSONReader.event(bytes) else { return false }
        #expect(theirs != nil, "\(what): read by calport but refused by JSONDecoder")
        #expect(mine == theirs, "\(what): differs from JSONDecoder")
        return true
    }

    @Test func eventsCalportWrites() {
        var gen = PropertyTests.Generator(state: 0x5EAD)
        let mapper = GoogleEventMapper()
        for i in 0..<300 {
            let g = mapper.googleEvent(from: PropertyTests.randomEvent(&gen, index: i)) { _ in }
            #expect(Self.check(FastJSON.compact(g), "random event \(i), compact"))
            #expect(Self.check(FastJSON.pretty(g), "random event \(i), pretty"))
        }
    }

    @Test func plainInputIsRead() {
        let cases: [(String, String)] = [
            ("empty", "{}"),
            ("whitespace", " \n\t{ \"summary\" : \"a\" , \"sequence\" : 0 }\r\n"),
            ("nulls are absent", #"{"summary":null,"start":null,"attendees":null,"sequence":null,"locked":null,"gadget":null}"#),
            ("escapes", #"{"summary":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83c\udf89","description":"é€🎉"}"#),
            ("integers", #"{"sequence":-0,"attendees":[{"email":"a@b","additionalGuests":9223372036854775807}],"reminders":{"overrides":[{"method":"popup","minutes":-9223372036854775808}]}}"#),
            ("unknown keys of every kind", #"{"x":{"y":[1,-2.5e-3,true,false,null,"s",{}]},"z":[],"summary":"kept"}"#),
            ("free-form objects", #"{"conferenceData":{"n":1,"f":0.1,"e":1E+2,"a":[null,{"k":"v"}],"b":true},"gadget":"text"}"#),
            ("escaped and non-ASCII keys", #"{"summ\u0061ry":"a","\u00e9t\u00e9":"x","été2":1,"start":{"d\u0061te":"2024-01-02"},"extendedProperties":{"private":{"\u006b":"1","ké":"2"}}}"#),
            ("long strings", #"{"summary":"abcdefghijklmnopqrstuvwxyz0123456789 é ABCDEFGHé","description":"0123456789abcdef\"0123456789abcdefgh\\0123456789abcdef\n€€€€€€€€","location":"12345678"}"#),
            ("nested resources", #"{"start":{"dateTime":"2024-01-02T09:00:00+01:00","timeZone":"Europe/Paris"},"end":{"date":"2024-01-03"},"organizer":{"email":"o@x","self":true},"creator":{"id":"1","displayName":"C"},"extendedProperties":{"private":{"a":"1"},"shared":{}},"source":{"url":"u","title":"t"},"attachments":[{"fileUrl":"f","title":"t","mimeType":"m","iconLink":"i","fileId":"id"}],"recurrence":["RRULE:FREQ=DAILY"]}"#),
        ]
        for (what, json) in cases { #expect(Self.check(json, what), "\(what) was not read") }
    }

    /// Input whose meaning JSONDecoder defines, or which it refuses: left to it.
    @Test func otherInputIsLeftToJSONDecoder() {
        let cases: [(String, String)] = [
            ("repeated key", #"{"summary":"a","summary":"b"}"#),
            ("repeated key in a map", #"{"extendedProperties":{"private":{"k":"1","k":"2"}}}"#),
            ("repeated key, once escaped", #"{"summary":"a","summ\u0061ry":"b"}"#),
            ("repeated key in a map, once escaped", #"{"extendedProperties":{"private":{"k":"1","\u006b":"2"}}}"#),
            ("integer with a fraction", #"{"sequence":1.0}"#),
            ("integer with an exponent", #"{"sequence":1e2}"#),
            ("integer out of range", #"{"sequence":9223372036854775808}"#),
            ("leading zero", #"{"sequence":01}"#),
            ("number for a bool", #"{"locked":1}"#),
            ("string for an integer", #"{"sequence":"1"}"#),
            ("null in a string list", #"{"recurrence":[null]}"#),
            ("null attendee", #"{"attendees":[null]}"#),
            ("lone high surrogate", #"{"summary":"\ud800"}"#),
            ("lone low surrogate", #"{"summary":"\udc00"}"#),
            ("bad escape", #"{"summary":"\x"}"#),
            ("raw control character", "{\"summary\":\"a\u{01}b\"}"),
            ("raw control character in a long string", "{\"summary\":\"abcdefghijklmnopqrstuvwxyz\u{1F}b\"}"),
            ("trailing comma", #"{"summary":"a",}"#),
            ("trailing text", #"{"summary":"a"} x"#),
            ("truncated", #"{"summary":"a""#),
            ("not an object", #"["summary"]"#),
            ("null document", "null"),
            ("bad literal", #"{"locked":tru}"#),
            ("malformed unknown value", #"{"x":[1,]}"#),
            ("deep nesting", "{\"x\":" + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"),
        ]
        for (what, json) in cases { #expect(!Self.check(json, what), "\(what) was read") }
        // Bytes that are not UTF-8.
        var bytes = Array(#"{"summary":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(FastJSONReader.event(bytes) == nil)
        bytes = Array(#"{"summary":"a"#.utf8) + [0xC3] + Array(#""}"#.utf8)
        #expect(FastJSONReader.event(bytes) == nil)
        bytes = Array(#"{"summary":"abcdefghijklmnopqrstuvwxyz"#.utf8) + [0xFF] + Array(#"0123456789"}"#.utf8)
        #expect(FastJSONReader.event(bytes) == nil)
    }

    /// Every event of the corpus's Google JSON (documents of one event, of an `items` list, or
    /// a list), as JSONEncoder writes it, with where it comes from.
    static func realEvents() throws -> [(what: String, json: Data)] {
        var out: [(what: String, json: Data)] = []
        let encoder = JSONEncoder()
        for f in FileManager.default.enumerator(atPath: corpus.path)!.compactMap({ $0 as? String }) where f.hasSuffix(".json") {
            let data = try Data(contentsOf: corpus.appendingPathComponent(f))
            guard let doc = try? JSONDecoder().decode(JSONValue.self, from: data) else { continue }
            var items: [JSONValue] = []
            switch doc {
            case .object(let o): if case .array(let a)? = o["items"] { items = a } else { items = [doc] }
            case .array(let a): items = a
            default: continue
            }
            for (i, item) in items.enumerated() {
                let json = try encoder.encode(item)
                guard (try? JSONDecoder().decode(GoogleEvent.self, from: json)) != nil else { continue }  // not an event
                out.append(("\(f) item \(i)", json))
            }
        }
        return out
    }

    static var corpusIsPresent: Bool { FileManager.default.fileExists(atPath: corpus.path) }

    @Test(.enabled(if: corpusIsPresent, "../shared/corpus/google-json is not present"))
    func realGoogleEvents() throws {
        let events = try Self.realEvents()
        let read = events.filter { Self.check(String(decoding: $0.json, as: UTF8.self), $0.what) }.count
        // Google writes plain JSON: every real event takes the fast path.
        #expect(events.count > 20)
        #expect(read == events.count, "\(events.count - read) of \(events.count) real events left to JSONDecoder")
    }
}
