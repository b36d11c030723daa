import CalPort
@testable import FakeGoogle
import CalendarModel
import Foundation
@testable import ICalendar
import Testing

/// The Calendar API v3 discovery document, loaded once: the copy embedded in the fake, which
/// FakeGoogleTests hold to ../shared/corpus/google-api/calendar.v3.json when that is present.
enum CalendarDiscovery {
    static let document: DiscoveryDocument? = try? DiscoveryDocument.embedded()

    static func parse(_ json: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
    }
}

/// A value that breaks one rule, and where the validator must say so.
struct SchemaViolationCase: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    /// The path the single problem must start with ("attendees[0].responseStatus").
    var path: String
    /// Text the message must contain.
    var says: String
    var schema = "Event"
    var testDescription: String { name }
}

/// An all-day event around `extra` members.
private func event(_ extra: String) -> String {
    #"{"start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}"# + (extra.isEmpty ? "" : "," + extra) + "}"
}

private let validEvents: [String] = [
    // Minimal all-day and timed events.
    event(""),
    #"{"start":{"dateTime":"2025-03-01T09:00:00Z"},"end":{"dateTime":"2025-03-01T10:00:00Z"}}"#,
    // An offset, fractional seconds, and a time zone.
    #"{"start":{"dateTime":"2025-03-01T09:00:00.250+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2025-03-01T10:00:00-05:30"}}"#,
    // No offset, allowed because timeZone is given (the documented choice).
    #"{"start":{"dateTime":"2025-03-01T09:00:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2025-03-01T10:00:00","timeZone":"Europe/Berlin"}}"#,
    // Leap day.
    #"{"start":{"date":"2024-02-29"},"end":{"date":"2024-03-01"}}"#,
    // Much of the resource at once.
    event(#"""
    "kind":"calendar#event","id":"abcdefghijklmnopqrstuv0123456789","iCalUID":"x@example.com","sequence":3,
    "summary":"S","description":"D","location":"L","colorId":"11","status":"confirmed","transparency":"transparent",
    "visibility":"private","created":"2025-01-01T00:00:00.000Z","updated":"2025-01-01T00:00:00Z",
    "recurrence":["RRULE:FREQ=WEEKLY;COUNT=3","EXDATE;TZID=Europe/Berlin:20250108T090000","RDATE:20250120","EXRULE:FREQ=MONTHLY"],
    "originalStartTime":{"date":"2025-01-01"},
    "attendees":[{"email":"a@example.com","responseStatus":"accepted","optional":true,"additionalGuests":2},{"email":"b@example.com","self":false}],
    "organizer":{"email":"o@example.com","displayName":"O","self":true},
    "reminders":{"useDefault":false,"overrides":[{"method":"email","minutes":0},{"method":"popup","minutes":40320},{"method":"popup","minutes":10},{"method":"popup","minutes":20},{"method":"popup","minutes":30}]},
    "extendedProperties":{"private":{"a":"1","x.y z":""},"shared":{"b":"2"}},
    "guestsCanModify":false,"anyoneCanAddSelf":true,"endTimeUnspecified":false,
    "workingLocationProperties":{"type":"homeOffice","homeOffice":{"anything":[1,true]}},
    "source":{"url":"https://example.com","title":"T"}
    """#),
]

private let violations: [SchemaViolationCase] = [
    SchemaViolationCase(name: "unknown field", json: event(#""colour":"red""#), path: "colour", says: "unknown field"),
    SchemaViolationCase(name: "nested unknown field in attendees[0]", json: event(#""attendees":[{"email":"a@example.com","nickname":"A"}]"#),
              path: "attendees[0].nickname", says: "unknown field (not a property of EventAttendee)"),
    SchemaViolationCase(name: "unknown field in an inline object", json: event(#""reminders":{"useDefault":true,"snooze":5}"#),
              path: "reminders.snooze", says: "unknown field"),
    SchemaViolationCase(name: "string given as number", json: event(#""attendees":[{"email":"a@example.com","responseStatus":1}]"#),
              path: "attendees[0].responseStatus", says: "expected string, got number"),
    SchemaViolationCase(name: "string given as null", json: event(#""summary":null"#), path: "summary", says: "expected string, got null"),
    SchemaViolationCase(name: "array given as object", json: event(#""attendees":{"email":"a@example.com"}"#),
              path: "attendees", says: "expected array, got object"),
    SchemaViolationCase(name: "object given as string", json: #"{"start":"2025-01-01","end":{"date":"2025-01-02"}}"#,
              path: "start", says: "expected object, got string"),
    SchemaViolationCase(name: "integer given as 1.5", json: event(#""sequence":1.5"#), path: "sequence", says: "expected integer, got 1.5"),
    SchemaViolationCase(name: "integer given as string", json: event(#""sequence":"1""#), path: "sequence", says: "expected integer, got string"),
    SchemaViolationCase(name: "integer given as boolean", json: event(#""sequence":true"#), path: "sequence", says: "expected integer, got boolean"),
    SchemaViolationCase(name: "bool given as number", json: event(#""guestsCanModify":1"#), path: "guestsCanModify", says: "expected boolean, got number"),
    SchemaViolationCase(name: "bool given as 0 in attendees[0]", json: event(#""attendees":[{"email":"a@example.com","optional":0}]"#),
              path: "attendees[0].optional", says: "expected boolean, got number"),
    SchemaViolationCase(name: "int32 out of range", json: event(#""sequence":2147483648"#), path: "sequence", says: "out of the int32 range"),
    SchemaViolationCase(name: "bad date format", json: #"{"start":{"date":"2025-1-5"},"end":{"date":"2025-01-06"}}"#,
              path: "start.date", says: "expected date YYYY-MM-DD"),
    SchemaViolationCase(name: "date that does not exist", json: #"{"start":{"date":"2025-02-29"},"end":{"date":"2025-03-01"}}"#,
              path: "start.date", says: "expected date YYYY-MM-DD"),
    SchemaViolationCase(name: "date-time with a space", json: #"{"start":{"dateTime":"2025-01-05 10:00:00Z"},"end":{"dateTime":"2025-01-05T11:00:00Z"}}"#,
              path: "start.dateTime", says: "expected RFC 3339 date-time"),
    SchemaViolationCase(name: "date-time without seconds", json: #"{"start":{"dateTime":"2025-01-05T10:00Z"},"end":{"dateTime":"2025-01-05T11:00:00Z"}}"#,
              path: "start.dateTime", says: "expected RFC 3339 date-time"),
    SchemaViolationCase(name: "date-time with hour 24", json: #"{"start":{"dateTime":"2025-01-05T10:00:00Z"},"end":{"dateTime":"2025-01-05T24:00:00Z"}}"#,
              path: "end.dateTime", says: "expected RFC 3339 date-time"),
    SchemaViolationCase(name: "created without offset", json: event(#""created":"2025-01-05T10:00:00""#),
              path: "created", says: "with Z or a UTC offset"),
    SchemaViolationCase(name: "dateTime without offset or timeZone", json: #"{"start":{"dateTime":"2025-01-05T10:00:00"},"end":{"dateTime":"2025-01-05T11:00:00Z"}}"#,
              path: "start", says: "no UTC offset and there is no timeZone"),
    SchemaViolationCase(name: "start with both date and dateTime", json: #"{"start":{"date":"2025-01-05","dateTime":"2025-01-05T10:00:00Z"},"end":{"date":"2025-01-06"}}"#,
              path: "start", says: "exactly one of date and dateTime, has both"),
    SchemaViolationCase(name: "end with neither date nor dateTime", json: #"{"start":{"date":"2025-01-05"},"end":{"timeZone":"UTC"}}"#,
              path: "end", says: "has neither"),
    SchemaViolationCase(name: "originalStartTime with both", json: event(#""originalStartTime":{"date":"2025-01-01","dateTime":"2025-01-01T00:00:00Z"}"#),
              path: "originalStartTime", says: "has both"),
    SchemaViolationCase(name: "6 reminders", json: event(#""reminders":{"useDefault":false,"overrides":[{"method":"popup","minutes":1},{"method":"popup","minutes":2},{"method":"popup","minutes":3},{"method":"popup","minutes":4},{"method":"popup","minutes":5},{"method":"popup","minutes":6}]}"#),
              path: "reminders.overrides", says: "at most 5 override reminders, got 6"),
    SchemaViolationCase(name: "minutes 50000", json: event(#""reminders":{"useDefault":false,"overrides":[{"method":"popup","minutes":50000}]}"#),
              path: "reminders.overrides[0].minutes", says: "0...40320, got 50000"),
    SchemaViolationCase(name: "negative minutes", json: event(#""reminders":{"useDefault":false,"overrides":[{"method":"email","minutes":10},{"method":"popup","minutes":-1}]}"#),
              path: "reminders.overrides[1].minutes", says: "0...40320, got -1"),
    SchemaViolationCase(name: "reminder method sms", json: event(#""reminders":{"useDefault":false,"overrides":[{"method":"sms","minutes":10}]}"#),
              path: "reminders.overrides[0].method", says: #"must be "email" or "popup", got "sms""#),
    SchemaViolationCase(name: "bad id chars", json: event(#""id":"abc_XYZ-123""#), path: "id", says: #"base32hex (a-v, 0-9); has "-", "X", "Y", "Z", "_""#),
    SchemaViolationCase(name: "id with w", json: event(#""id":"abcdefw""#), path: "id", says: #"has "w""#),
    SchemaViolationCase(name: "id too short", json: event(#""id":"abcd""#), path: "id", says: "5...1024 characters, has 4"),
    SchemaViolationCase(name: "id too long", json: event(#""id":"\#(String(repeating: "a", count: 1025))""#), path: "id", says: "has 1025"),
    SchemaViolationCase(name: "colorId 12", json: event(#""colorId":"12""#), path: "colorId", says: #"got "12""#),
    SchemaViolationCase(name: "colorId 0", json: event(#""colorId":"0""#), path: "colorId", says: #""1" ... "11""#),
    SchemaViolationCase(name: "recurrence with DTSTART", json: event(#""recurrence":["RRULE:FREQ=DAILY","DTSTART:20250101T000000Z"]"#),
              path: "recurrence[1]", says: "must start with RRULE:, EXRULE:, RDATE or EXDATE"),
    SchemaViolationCase(name: "recurrence RRULE without colon", json: event(#""recurrence":["RRULE FREQ=DAILY"]"#),
              path: "recurrence[0]", says: "must start with"),
    SchemaViolationCase(name: "status in upper case", json: event(#""status":"CONFIRMED""#), path: "status", says: #"must be one of "confirmed", "tentative", "cancelled", got "CONFIRMED""#),
    SchemaViolationCase(name: "transparency", json: event(#""transparency":"busy""#), path: "transparency", says: #"must be "opaque" or "transparent""#),
    SchemaViolationCase(name: "visibility", json: event(#""visibility":"secret""#), path: "visibility", says: #"got "secret""#),
    SchemaViolationCase(name: "eventType", json: event(#""eventType":"meeting""#), path: "eventType", says: #"got "meeting""#),
    SchemaViolationCase(name: "attendee responseStatus as in iCalendar", json: event(#""attendees":[{"email":"a@example.com","responseStatus":"NEEDS-ACTION"}]"#),
              path: "attendees[0].responseStatus", says: #"got "NEEDS-ACTION""#),
    SchemaViolationCase(name: "26 attachments", json: event("\"attachments\":[" + Array(repeating: #"{"fileUrl":"https://example.com/f"}"#, count: 26).joined(separator: ",") + "]"),
              path: "attachments", says: "at most 25 attachments, got 26"),
    SchemaViolationCase(name: "extended property that is not a string", json: event(#""extendedProperties":{"private":{"n":5}}"#),
              path: "extendedProperties.private.n", says: "expected string, got number"),
    SchemaViolationCase(name: "extended property key shown quoted", json: event(#""extendedProperties":{"shared":{"a.b":true}}"#),
              path: #"extendedProperties.shared["a.b"]"#, says: "expected string, got boolean"),
    SchemaViolationCase(name: "event that is not an object", json: #"[1]"#, path: "(root)", says: "expected object, got array"),
    SchemaViolationCase(name: "defaultReminders in Events", json: #"{"kind":"calendar#events","defaultReminders":[{"method":"popup","minutes":99999}]}"#,
              path: "defaultReminders[0].minutes", says: "0...40320", schema: "Events"),
    SchemaViolationCase(name: "event inside Events items", json: #"{"items":[{"start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"},"foo":1}]}"#,
              path: "items[0].foo", says: "unknown field (not a property of Event)", schema: "Events"),
]

@Suite struct SchemaTests {
    // MARK: 1. The validator itself

    @Test func documentLoadsAndUsesOnlyKnownKeywords() throws {
        let doc = try #require(CalendarDiscovery.document)
        #expect(doc.name == "calendar" && doc.version == "v3")
        for name in ["Event", "EventDateTime", "EventAttendee", "EventReminder", "Events"] {
            #expect(doc.schemas[name] != nil, "\(name)")
        }
        #expect(doc.unhandledKeywords.isEmpty, "keywords the validator ignores: \(doc.unhandledKeywords.sorted())")
        #expect(doc.uncheckedFormats.isEmpty, "formats the validator ignores: \(doc.uncheckedFormats.sorted())")
        // Every rule is filed under a schema that exists.
        for rule in DiscoveryDocument.rules {
            #expect(doc.schemas[String(rule.at.prefix { $0 != "." })] != nil, "\(rule.at)")
        }
        for rule in DiscoveryDocument.rules { print("rule \(rule.at): \(rule.source)") }
        #expect(doc.validate([String: Any](), against: "NoSuchSchema") == ["(root): schema NoSuchSchema is not in the discovery document"])
    }

    @Test(arguments: validEvents)
    func validEventPasses(_ json: String) throws {
        let doc = try #require(CalendarDiscovery.document)
        #expect(doc.validate(try CalendarDiscovery.parse(json), against: "Event") == [])
    }

    @Test(arguments: violations)
    func violationIsReportedAtItsPath(_ v: SchemaViolationCase) throws {
        let doc = try #require(CalendarDiscovery.document)
        let problems = doc.validate(try CalendarDiscovery.parse(v.json), against: v.schema)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix(v.path + ": ") == true, "\(problems)")
        #expect(problems.first?.contains(v.says) == true, "\(problems)")
    }

    @Test func messagesReadAsPathColonMessage() throws {
        let doc = try #require(CalendarDiscovery.document)
        let value = try CalendarDiscovery.parse(event(#""attendees":[{"email":"a@example.com","responseStatus":1}]"#))
        #expect(doc.validate(value, against: "Event") == ["attendees[0].responseStatus: expected string, got number"])
    }

    @Test func severalProblemsAreAllReported() throws {
        let doc = try #require(CalendarDiscovery.document)
        let value = try CalendarDiscovery.parse(#"{"start":{"date":"2025-01-01","dateTime":"x"},"sequence":1.5,"zzz":0}"#)
        let problems = doc.validate(value, against: "Event")
        #expect(problems == [
            "sequence: expected integer, got 1.5",
            "start.dateTime: expected RFC 3339 date-time, got \"x\"",
            "start: needs exactly one of date and dateTime, has both",
            "zzz: unknown field (not a property of Event)",
        ])
    }

    @Test func booleansAndNumbersAreToldApart() throws {
        // JSONSerialization gives NSNumber for both; plain Swift values work too.
        #expect(DiscoveryDocument.kind(of: try CalendarDiscovery.parse("true")).name == "boolean")
        #expect(DiscoveryDocument.kind(of: try CalendarDiscovery.parse("1")).name == "number")
        #expect(DiscoveryDocument.kind(of: try CalendarDiscovery.parse("0")).name == "number")
        #expect(DiscoveryDocument.kind(of: try CalendarDiscovery.parse("1.0")).name == "number")
        #expect(DiscoveryDocument.kind(of: false).name == "boolean")
        #expect(DiscoveryDocument.kind(of: 1).name == "number")
        #expect(DiscoveryDocument.kind(of: NSNumber(value: 1)).name == "number")
        #expect(DiscoveryDocument.kind(of: NSNumber(value: true)).name == "boolean")
        let doc = try #require(CalendarDiscovery.document)
        let swiftValue: [String: Any] = ["start": ["date": "2025-01-01"], "end": ["date": "2025-01-02"], "sequence": 2, "locked": true]
        #expect(doc.validate(swiftValue, against: "Event") == [])
        #expect(doc.validate(["start": ["date": "2025-01-01"], "end": ["date": "2025-01-02"], "locked": 1] as [String: Any], against: "Event")
            == ["locked: expected boolean, got number"])
        // 1.0 is integral (JSON does not distinguish it from 1).
        #expect(doc.validate(try CalendarDiscovery.parse(event(#""sequence":1.0"#)), against: "Event") == [])
    }

    @Test func requiredForAMethod() throws {
        let doc = try #require(CalendarDiscovery.document)
        let value = try CalendarDiscovery.parse(#"{"summary":"no times"}"#)
        #expect(doc.validate(value, against: "Event") == [])
        #expect(doc.validate(value, against: "Event", requiredFor: "calendar.events.import")
            == ["end: required for calendar.events.import", "iCalUID: required for calendar.events.import",
                "start: required for calendar.events.import"])
        #expect(doc.validate(value, against: "Event", requiredFor: "calendar.events.insert")
            == ["end: required for calendar.events.insert", "start: required for calendar.events.insert"])
    }

    // MARK: 2. Real Google JSON

    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func realGoogleJSONValidates() throws {
        let doc = try #require(CalendarDiscovery.document)
        let root = Paths.corpus.appendingPathComponent("google-json")
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        var events = 0, valid = 0, envelopes = 0, validEnvelopes = 0
        var problemCounts: [String: Int] = [:]
        for f in files {
            let value = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(f)))
            var found: [(String, [String: Any])] = [], lists: [(String, [String: Any])] = []
            collectEvents(value, at: "", events: &found, envelopes: &lists)
            for (at, e) in found {
                events += 1
                let problems = doc.validate(e, against: "Event")
                if problems.isEmpty { valid += 1 }
                for p in problems {
                    print("google-json/\(f)\(at): \(p)")
                    problemCounts[Self.shape(of: p), default: 0] += 1
                }
            }
            for (_, list) in lists {
                envelopes += 1
                let problems = doc.validate(list, against: "Events")
                if problems.isEmpty { validEnvelopes += 1 }
                // Problems of the items were printed above; show the envelope's own.
                for p in problems where !p.hasPrefix("items[") { print("google-json/\(f) (calendar#events): \(p)") }
            }
        }
        print("google-json: \(files.count) files, \(events) event objects, \(valid) valid, \(events - valid) with problems; "
            + "\(envelopes) calendar#events envelopes, \(validEnvelopes) valid")
        for (p, n) in problemCounts.sorted(by: { $0.value > $1.value || $0.value == $1.value && $0.key < $1.key }) {
            print("google-json problem \(n)x: \(p)")
        }
        // Mock data and fields newer than the document are expected here; only the count is asserted.
        #expect(events > 0)
    }

    /// Event-shaped objects (a `start` or `iCalUID` key, or kind calendar#event) and
    /// calendar#events envelopes anywhere in a JSON value.
    private func collectEvents(_ value: Any, at path: String, events: inout [(String, [String: Any])],
                               envelopes: inout [(String, [String: Any])]) {
        if let o = value as? [String: Any] {
            if o["start"] != nil || o["iCalUID"] != nil || o["kind"] as? String == "calendar#event" {
                events.append((path, o))
                return
            }
            if o["kind"] as? String == "calendar#events" { envelopes.append((path, o)) }
            for (k, v) in o.sorted(by: { $0.key < $1.key }) { collectEvents(v, at: path + "." + k, events: &events, envelopes: &envelopes) }
        } else if let a = value as? [Any] {
            for (i, v) in a.enumerated() { collectEvents(v, at: path + "[\(i)]", events: &events, envelopes: &envelopes) }
        }
    }

    // MARK: 3. Everything calport emits

    /// Every event calport writes for testdata and the corpus validates against Event, has the
    /// fields `events.import` requires (start, end, iCalUID) and keeps Google's documented rules
    /// (`googleRuleProblems`): 0 violations. Events calport rejects (an error naming the rule
    /// part) are not written, so they are not here.
    @Test func everythingCalportEmitsValidates() throws {
        let doc = try #require(CalendarDiscovery.document)
        var inputs = [Paths.testdata.appendingPathComponent("sample.ics")]
        inputs += try FileManager.default.contentsOfDirectory(at: Paths.cases, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "ics" }.sorted { $0.path < $1.path }
        let corpusICS = Paths.corpus.appendingPathComponent("ics")
        if Paths.corpusAvailable {
            inputs += (FileManager.default.enumerator(atPath: corpusICS.path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.lowercased().hasSuffix(".ics") }.sorted().map { corpusICS.appendingPathComponent($0) }
        }
        let out = try Paths.temporaryDirectory().appendingPathComponent("out.ndjson")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let converter = Converter(options: ConvertOptions(to: .ndjson, mapping: .init(defaultTimeZone: "UTC")))
        let importRequired = "required for calendar.events.import"
        var converted = 0, rejected = 0, events = 0, valid = 0, importable = 0
        var violations: [String] = [], byRule: [String: Int] = [:], gaps: [String: Int] = [:]
        var flagged = 0
        for input in inputs {
            try? FileManager.default.removeItem(at: out)
            let diagnostics = DiagnosticCollector()
            do {
                _ = try converter.run(input: input.path, output: try Output(path: out.path), diagnostics: diagnostics)
                converted += 1
            } catch is ConvertError {
                rejected += 1
            }
            guard let data = FileManager.default.contents(atPath: out.path) else { continue }
            let name = input.path.hasPrefix(Paths.corpus.path + "/") ? String(input.path.dropFirst(Paths.corpus.path.count + 1))
                : String(input.path.dropFirst(Paths.repository.path.count + 1))
            for (n, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
                events += 1
                var problems: [String]
                var uid: String?
                do {
                    let (value, instanceProblems) = Self.asGoogleReceives(try JSONSerialization.jsonObject(with: Data(line)))
                    uid = (value as? [String: Any])?["iCalUID"] as? String
                    problems = instanceProblems + doc.validate(value, against: "Event", requiredFor: "calendar.events.import")
                } catch {
                    problems = ["(root): not JSON: \(error)"]
                }
                let missing = problems.filter { $0.hasSuffix(importRequired) }
                problems.removeAll { $0.hasSuffix(importRequired) }
                if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
                    problems += Self.googleRuleProblems(object)
                }
                if problems.isEmpty { valid += 1 }
                if problems.isEmpty && missing.isEmpty { importable += 1 }
                for m in missing { gaps[String(m.prefix { $0 != ":" }), default: 0] += 1 }
                problems += missing
                guard !problems.isEmpty else { continue }
                // What calport itself said about this event, to tell known from silent problems.
                let said = diagnostics.diagnostics.filter { $0.uid == uid && $0.severity >= .warning }.max { $0.severity < $1.severity }
                    .map { " [calport reported \($0.severity.rawValue): \($0.message)]" } ?? " [calport reported nothing]"
                // An event calport reported an error for is known to be unfit for Google (an
                // unknown zone, say); the user was told. Everything else must be valid.
                let reportedError = diagnostics.diagnostics.contains { $0.uid == uid && $0.severity == .error }
                for p in problems {
                    byRule[Self.shape(of: p), default: 0] += 1
                    if reportedError {
                        flagged += 1
                        print("calport output: \(name) event \(n + 1) (UID \(uid ?? "none")), reported as an error: \(p)\(said)")
                    } else { violations.append("\(name) event \(n + 1) (UID \(uid ?? "none")): \(p)\(said)") }
                }
            }
        }
        print("calport output: \(inputs.count) .ics files (\(converted) converted, \(rejected) rejected), "
            + "\(events) events validated against Event: \(valid) valid, \(violations.count) problems; "
            + "\(importable) also have what events.import requires; \(flagged) problems in events calport reported an error for")
        for (field, n) in gaps.sorted(by: { $0.key < $1.key }) {
            print("calport output: \(n) events lack \(field), which calendar.events.import requires")
        }
        for (p, n) in byRule.sorted(by: { $0.value > $1.value || $0.value == $1.value && $0.key < $1.key }) {
            print("calport output problem \(n)x: \(p)")
        }
        for v in violations.prefix(100) { print("calport output: \(v)") }
        print("calport output: \(violations.count + flagged) violations (\(flagged) in events calport reported an error for)")
        #expect(events > 0)
        #expect(violations.isEmpty, "\(violations.count) problems in calport's output:\n\(violations.prefix(20).joined(separator: "\n"))")
        // An event calport reported an error for is left out, not written with the error.
        #expect(flagged == 0)
    }

    /// Google's documented rules that the discovery document does not state: an end not before
    /// the start (an all-day end after it: the end is exclusive), recurrence lines of RFC 5545
    /// that Google reads (rules libical's parser accepts as they are, no PERIOD RDATEs), and
    /// years 0001 to 9999 (RFC 3339).
    static func googleRuleProblems(_ event: [String: Any]) -> [String] {
        var out: [String] = []
        func instant(_ t: [String: Any]?) -> (Double, isDate: Bool)? {
            if let d = t?["date"] as? String {
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.timeZone = TimeZone(identifier: "UTC")
                f.dateFormat = "yyyy-MM-dd"
                return f.date(from: d).map { ($0.timeIntervalSince1970, true) }
            }
            guard let s = t?["dateTime"] as? String else { return nil }
            let f = ISO8601DateFormatter()
            // A dateTime without an offset is read in UTC: only its order with the other matters.
            return (f.date(from: s) ?? f.date(from: s + "Z")).map { ($0.timeIntervalSince1970, false) }
        }
        for field in ["start", "end", "originalStartTime"] {
            guard let t = event[field] as? [String: Any], let v = (t["date"] ?? t["dateTime"]) as? String else { continue }
            if v.hasPrefix("0000") || v.prefix(while: { $0 != "-" }).count != 4 { out.append("\(field): year outside 0001 to 9999: \(v)") }
        }
        if let (s, isDate) = instant(event["start"] as? [String: Any]), let (e, _) = instant(event["end"] as? [String: Any]) {
            if e < s || (isDate && e == s) { out.append("end: not after start (Google refuses an empty or negative time range)") }
        }
        for (i, line) in ((event["recurrence"] as? [String]) ?? []).enumerated() {
            let upper = line.uppercased()
            if upper.hasPrefix("RRULE:") || upper.hasPrefix("EXRULE:") {
                let rule = String(line[line.index(after: line.firstIndex(of: ":")!)...])
                let checked = RuleValidation.check(rule)
                if let p = checked.problem { out.append("recurrence[\(i)]: \(p)") }
                if checked.rule != rule { out.append("recurrence[\(i)]: not as libical reads a rule: \(line)") }
            } else if upper.hasPrefix("RDATE") && upper.contains("VALUE=PERIOD") {
                out.append("recurrence[\(i)]: Google's recurrence holds no PERIOD: \(line)")
            }
        }
        return out
    }

    /// A problem with indexes and quoted values taken out, to count problems by kind.
    static func shape(of problem: String) -> String {
        var out = "", inQuote = false, inIndex = false, previous: Character = " "
        for c in problem {
            if inQuote {
                if c == "\"" && previous != "\\" { inQuote = false; out += "…\"" }
            } else if inIndex {
                if c == "]" { inIndex = false; out += "[]" }
            } else if c == "\"" {
                inQuote = true; out.append(c)
            } else if c == "[" {
                inIndex = true
            } else {
                out.append(c)
            }
            previous = c
        }
        return out
    }

    @Test func calportJSONEnvelopeValidatesAsEvents() throws {
        let doc = try #require(CalendarDiscovery.document)
        let out = try Paths.temporaryDirectory().appendingPathComponent("out.json")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        _ = try Converter(options: ConvertOptions(to: .json, mapping: .init(defaultTimeZone: "UTC")))
            .run(input: Paths.testdata.appendingPathComponent("sample.ics").path, output: try Output(path: out.path),
                 diagnostics: DiagnosticCollector())
        var value = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any] ?? [:]
        var problems: [String] = []
        value["items"] = (value["items"] as? [Any] ?? []).map { item in
            let (checked, p) = Self.asGoogleReceives(item)
            problems += p
            return checked
        }
        #expect(problems.isEmpty, "\(problems)")
        #expect(doc.validate(value, against: "Events") == [])
    }

    /// An instance's `id` is Google's name for it, `<recurringEventId>_<original start in UTC>`
    /// (`yyyyMMdd` for all-day), not a client-chosen id: Google (and the fake) check it against
    /// the series and the original start instead of the base32hex rule for new ids. The value
    /// as validated, without that id, and what is wrong with the id.
    static func asGoogleReceives(_ value: Any) -> (Any, [String]) {
        guard var event = value as? [String: Any], let series = event["recurringEventId"] as? String,
              let id = event["id"] as? String, let original = event["originalStartTime"] as? [String: Any] else { return (value, []) }
        event.removeValue(forKey: "id")
        let stamp: String?
        if let date = original["date"] as? String {
            stamp = date.replacingOccurrences(of: "-", with: "")
        } else if let dateTime = original["dateTime"] as? String {
            let f = ISO8601DateFormatter()
            let utc = DateFormatter()
            utc.locale = Locale(identifier: "en_US_POSIX")
            utc.timeZone = TimeZone(identifier: "UTC")
            utc.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            stamp = f.date(from: dateTime).map(utc.string)
        } else {
            stamp = nil
        }
        let expected = stamp.map { series + "_" + $0 }
        return (event, id == expected ? [] : ["id: an instance's id is \(expected ?? "<series>_<original start>"), got \(id)"])
    }
}
