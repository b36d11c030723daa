import Foundation
import GoogleCalendar

/// A small deterministic PRNG (SplitMix64), for fault injection and generated ids.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// One stored event: the resource exactly as the fake returns it.
struct EventRecord {
    var resource: [String: JSONValue]
    /// The server-wide change number of its last change (sync tokens compare these).
    var changeSeq: Int
    var updatedMillis: Int64

    var id: String { resource["id"]?.stringValue ?? "" }
    var isCancelled: Bool { resource["status"]?.stringValue == "cancelled" }
    var recurringEventId: String? { resource["recurringEventId"]?.stringValue }
    var iCalUID: String? { resource["iCalUID"]?.stringValue }
    var recurrence: [String]? {
        guard let lines = resource["recurrence"]?.arrayValue?.compactMap(\.stringValue), !lines.isEmpty else { return nil }
        return lines
    }
    var isRecurringMaster: Bool { recurringEventId == nil && recurrence != nil }
    var etag: String { resource["etag"]?.stringValue ?? "" }
}

final class CalendarData {
    let id: String
    var summary: String
    var description: String?
    var location: String?
    var timeZoneName: String
    var zone: TimeZone
    var etag: String
    var defaultReminders: [JSONValue]
    let isPrimary: Bool
    var events: [String: EventRecord] = [:]
    /// Event ids in creation order; events are never purged, so positions are stable page tokens.
    var order: [String] = []
    var byICalUID: [String: [String]] = [:]
    var exceptionsByMaster: [String: [String]] = [:]
    var updatedMillis: Int64

    init(id: String, summary: String, timeZone: String, isPrimary: Bool, now: Int64) {
        self.id = id
        self.summary = summary
        timeZoneName = timeZone
        zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        self.isPrimary = isPrimary
        etag = "\"\(now)\""
        defaultReminders = isPrimary ? [.object(["method": .string("popup"), "minutes": .number(30)])] : []
        updatedMillis = now
    }
}

/// What an API operation answers.
struct APIResult {
    var status: Int
    var body: JSONValue?
    var headers: [(String, String)] = []

    static func ok(_ body: JSONValue, status: Int = 200) -> APIResult { APIResult(status: status, body: body) }
    static let noContent = APIResult(status: 204, body: nil)
}

/// One API call, from a request or a batch part.
struct APICall {
    var httpMethod: String
    /// Percent-decoded path segments after the service path ("calendar/v3/").
    var segments: [String]
    var query: [(name: String, value: String)]
    /// Lower-cased names.
    var headers: [String: String]
    var body: [UInt8]

    func q(_ name: String) -> String? { query.first { $0.name == name }?.value }
    func all(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
    func flag(_ name: String) -> Bool { q(name) == "true" }
    func has(_ name: String) -> Bool { query.contains { $0.name == name } }
}

/// All state of one fake account. Not thread-safe: the server calls it under its lock.
final class FakeState: @unchecked Sendable {
    let accountEmail: String
    var calendars: [String: CalendarData] = [:]
    var calendarOrder: [String] = []
    var primaryId: String { accountEmail }
    var changeCounter = 0
    var syncEpoch = 1
    var lastClock: Int64 = 0
    var ids: SplitMix64
    let schema: DiscoveryDocument?
    let methods: DiscoveryMethods?
    var rejectUnknownFields: Bool
    var remindersOnlyChangeKeepsUpdated: Bool
    /// Instances listed for a series without an end when no timeMax bounds them.
    var unboundedExpansionLimit = 2500

    init(accountEmail: String, timeZone: String, seed: UInt64, schema: DiscoveryDocument?, methods: DiscoveryMethods?,
         rejectUnknownFields: Bool, remindersOnlyChangeKeepsUpdated: Bool) {
        self.accountEmail = accountEmail
        ids = SplitMix64(seed: seed ^ 0x1D5_0F_FA_CE)
        self.schema = schema
        self.methods = methods
        self.rejectUnknownFields = rejectUnknownFields
        self.remindersOnlyChangeKeepsUpdated = remindersOnlyChangeKeepsUpdated
        let primary = CalendarData(id: accountEmail, summary: accountEmail, timeZone: timeZone, isPrimary: true, now: 0)
        calendars[accountEmail] = primary
        calendarOrder.append(accountEmail)
        let t = now()
        primary.updatedMillis = t
        primary.etag = "\"\(t)\""
    }

    // MARK: - Clocks, ids, etags

    /// Wall-clock milliseconds, strictly increasing across calls.
    func now() -> Int64 {
        let wall = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        lastClock = max(wall, lastClock + 1)
        return lastClock
    }

    func nextChange() -> Int {
        changeCounter += 1
        return changeCounter
    }

    static let base32hex = Array("0123456789abcdefghijklmnopqrstuv")

    /// A fresh id of 26 base32hex characters.
    func newId() -> String {
        var s = ""
        var bits = ids.next()
        for i in 0..<26 {
            if i == 12 { bits = ids.next() }
            s.append(Self.base32hex[Int(bits & 31)])
            bits >>= 5
        }
        return s
    }

    static func isValidEventId(_ id: String) -> Bool {
        (5...1024).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x76) }
    }

    func etag(changeMillis: Int64, seq: Int) -> String { "\"\(changeMillis)\(String(format: "%03d", seq % 1000))\"" }

    // MARK: - Calendars

    func calendar(_ id: String) throws(APIError) -> CalendarData {
        let real = id == "primary" ? primaryId : id
        guard let cal = calendars[real] else { throw .notFound }
        return cal
    }

    func htmlLink(eventId: String, calendarId: String) -> String {
        let raw = Data((eventId + " " + calendarId).utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "")
        return "https://www.google.com/calendar/event?eid=" + raw
    }

    // MARK: - Storing

    /// Stores `resource` as a change: new etag, `updated`, change number; `created` when new.
    @discardableResult
    func commit(_ cal: CalendarData, _ resourceIn: [String: JSONValue], previous: EventRecord?) -> EventRecord {
        var resource = resourceIn
        let t = now()
        let seq = nextChange()
        resource["etag"] = .string(etag(changeMillis: t, seq: seq))
        var updated = t
        if let previous, remindersOnlyChangeKeepsUpdated, Self.onlyRemindersDiffer(previous.resource, resource) {
            updated = previous.updatedMillis
        }
        resource["updated"] = .string(FakeTime.rfc3339UTC(millis: updated))
        if previous == nil || resource["created"] == nil { resource["created"] = .string(FakeTime.rfc3339UTC(millis: t)) }
        let record = EventRecord(resource: resource, changeSeq: seq, updatedMillis: updated)
        let id = record.id
        if cal.events[id] == nil {
            cal.order.append(id)
            if let uid = record.iCalUID { cal.byICalUID[uid, default: []].append(id) }
            if let master = record.recurringEventId { cal.exceptionsByMaster[master, default: []].append(id) }
        }
        cal.events[id] = record
        cal.updatedMillis = t
        return record
    }

    static let volatileKeys: Set<String> = ["etag", "updated", "reminders"]

    static func onlyRemindersDiffer(_ a: [String: JSONValue], _ b: [String: JSONValue]) -> Bool {
        guard a["reminders"] != b["reminders"] else { return false }
        return a.filter { !volatileKeys.contains($0.key) } == b.filter { !volatileKeys.contains($0.key) }
    }

    // MARK: - Validation

    static let readOnlyKeys: Set<String> = ["kind", "etag", "htmlLink", "created", "updated", "creator", "hangoutLink", "locked"]

    /// The body as an Event object, validated against the discovery document (and the rules it
    /// states in prose); for a patch (`method` nil) the merged resource is validated instead.
    func parseEventBody(_ body: [UInt8]) throws(APIError) -> Any {
        guard let any = FakeJSON.parse(body) else {
            throw body.isEmpty ? APIError.required("Required") : APIError.parseError()
        }
        guard any is [String: Any] else { throw APIError.invalid("Invalid JSON payload received. Expected an object.") }
        return any
    }

    /// Validates an Event object; returns it as JSON values, without unknown top-level fields when
    /// those are tolerated.
    func validateEvent(_ any: Any, method: String?) throws(APIError) -> [String: JSONValue] {
        guard var dict = any as? [String: Any] else { throw APIError.invalid("Invalid JSON payload received. Expected an object.") }
        if let id = dict["id"] as? String, !Self.isValidEventId(id) {
            throw APIError.invalid("Invalid resource id value.")
        }
        var problems: [String] = []
        if let schema {
            problems = schema.validate(dict, against: "Event", requiredFor: method)
        } else {
            problems = Self.fallbackProblems(dict, method: method)
        }
        if !rejectUnknownFields {
            for p in problems where p.contains(": unknown field") {
                if let range = p.range(of: ": unknown field") { Self.remove(path: String(p[..<range.lowerBound]), from: &dict) }
            }
            problems.removeAll { $0.contains(": unknown field") }
        }
        let required = problems.filter { $0.contains(": required for ") }
        if !required.isEmpty {
            if required.contains(where: { $0.hasPrefix("start:") }) { throw APIError.required("Missing start time.") }
            if required.contains(where: { $0.hasPrefix("end:") }) { throw APIError.required("Missing end time.") }
            if required.contains(where: { $0.hasPrefix("iCalUID:") }) { throw APIError.required("Missing iCalUID.") }
            throw APIError.required("Required: " + required.joined(separator: "; "))
        }
        if !problems.isEmpty {
            throw APIError.invalid("Invalid resource: " + problems.joined(separator: "; "))
        }
        return dict.mapValues(FakeJSON.value)
    }

    /// The segments of a validator path such as `attendees[0].foo` or `extendedProperties["a b"]`:
    /// strings are keys, integers indices.
    static func pathSegments(_ path: String) -> [Any]? {
        var segments: [Any] = []
        var chars = Array(path)[...]
        var current = ""
        while let c = chars.popFirst() {
            switch c {
            case ".":
                if !current.isEmpty { segments.append(current) }
                current = ""
            case "[":
                if !current.isEmpty { segments.append(current) }
                current = ""
                if chars.first == "\"" {
                    chars.removeFirst()
                    var key = ""
                    while let k = chars.popFirst(), k != "\"" {
                        if k == "\\", let escaped = chars.popFirst() { key.append(escaped) } else { key.append(k) }
                    }
                    segments.append(key)
                    guard chars.popFirst() == "]" else { return nil }
                } else {
                    var digits = ""
                    while let d = chars.popFirst(), d != "]" { digits.append(d) }
                    guard let n = Int(digits) else { return nil }
                    segments.append(n)
                }
            case "\"" where current.isEmpty && segments.isEmpty:
                // A quoted top-level name.
                while let k = chars.popFirst(), k != "\"" {
                    if k == "\\", let escaped = chars.popFirst() { current.append(escaped) } else { current.append(k) }
                }
            default:
                current.append(c)
            }
        }
        if !current.isEmpty { segments.append(current) }
        return segments.isEmpty ? nil : segments
    }

    /// Removes the member at a validator path from a JSONSerialization object.
    static func remove(path: String, from dict: inout [String: Any]) {
        guard let segments = pathSegments(path) else { return }
        func strip(_ value: Any, _ rest: ArraySlice<Any>) -> Any {
            guard let first = rest.first else { return value }
            if let key = first as? String, var object = value as? [String: Any] {
                if rest.count == 1 {
                    object.removeValue(forKey: key)
                } else if let inner = object[key] {
                    object[key] = strip(inner, rest.dropFirst())
                }
                return object
            }
            if let index = first as? Int, var array = value as? [Any], array.indices.contains(index), rest.count > 1 {
                array[index] = strip(array[index], rest.dropFirst())
                return array
            }
            return value
        }
        dict = strip(dict, segments[...]) as? [String: Any] ?? dict
    }

    /// The checks made when no discovery document is available: required fields, reminders,
    /// recurrence line prefixes, and date/dateTime of start and end.
    static func fallbackProblems(_ dict: [String: Any], method: String?) -> [String] {
        var problems: [String] = []
        if let method, method != "calendar.events.patch" {
            if dict["start"] == nil { problems.append("start: required for \(method)") }
            if dict["end"] == nil { problems.append("end: required for \(method)") }
            if method == "calendar.events.import" && dict["iCalUID"] == nil { problems.append("iCalUID: required for \(method)") }
        }
        if let reminders = dict["reminders"] as? [String: Any], let overrides = reminders["overrides"] as? [Any] {
            if overrides.count > 5 { problems.append("reminders.overrides: at most 5 override reminders, got \(overrides.count)") }
            for (i, o) in overrides.enumerated() {
                if let m = (o as? [String: Any])?["minutes"] as? NSNumber, !(0...40320).contains(m.intValue) {
                    problems.append("reminders.overrides[\(i)].minutes: must be 0...40320, got \(m)")
                }
            }
        }
        for (i, line) in (dict["recurrence"] as? [Any] ?? []).enumerated() {
            let upper = (line as? String ?? "").uppercased()
            if !["RRULE:", "EXRULE:", "RDATE:", "RDATE;", "EXDATE:", "EXDATE;"].contains(where: upper.hasPrefix) {
                problems.append("recurrence[\(i)]: must start with RRULE:, EXRULE:, RDATE or EXDATE")
            }
        }
        for key in ["start", "end", "originalStartTime"] {
            guard let o = dict[key] as? [String: Any] else { continue }
            if (o["date"] == nil) == (o["dateTime"] == nil) { problems.append("\(key): needs exactly one of date and dateTime") }
        }
        return problems
    }

    /// Start and end: both present and resolvable, both dates or both date-times, in order;
    /// recurring events need zones and well-formed rules.
    func checkTimes(_ r: [String: JSONValue], in cal: CalendarData) throws(APIError) {
        for key in ["start", "end", "originalStartTime"] {
            if let name = r[key]?.objectValue?["timeZone"]?.stringValue, TimeZone(identifier: name) == nil {
                throw APIError.invalid("Invalid time zone definition for \(key == "end" ? "end" : "start") time.")
            }
        }
        guard r["start"] != nil else { throw APIError.required("Missing start time.") }
        guard r["end"] != nil else { throw APIError.required("Missing end time.") }
        guard let start = EventTimeValue(r["start"], calendarZone: cal.zone) else { throw APIError.invalid("Invalid start time.") }
        guard let end = EventTimeValue(r["end"], calendarZone: cal.zone) else { throw APIError.invalid("Invalid end time.") }
        guard start.isAllDay == end.isAllDay else {
            throw APIError.invalid("Start and end times must either both be date or both be dateTime.")
        }
        if start.isAllDay ? end.date! <= start.date! : end.millis < start.millis { throw APIError.timeRangeEmpty }
        if let lines = r["recurrence"]?.arrayValue?.compactMap(\.stringValue), !lines.isEmpty {
            if r["recurringEventId"] != nil { throw APIError.invalid("An instance of a recurring event cannot have a recurrence.") }
            if let problem = RecurrenceExpansion.syntaxProblem(lines) { throw APIError.invalid(problem) }
            if !start.isAllDay {
                if start.zoneName == nil { throw APIError.required("Missing time zone definition for start time.") }
                if end.zoneName == nil { throw APIError.required("Missing time zone definition for end time.") }
            }
        }
    }

    func checkSequence(old: [String: JSONValue], new: [String: JSONValue]) throws(APIError) {
        if let n = new["sequence"]?.numberValue, let o = old["sequence"]?.numberValue, n < o {
            throw APIError.invalid("Invalid sequence value. The specified sequence number is below the current sequence number of the resource.")
        }
    }

    func checkIfMatch(_ call: APICall, etag: String) throws(APIError) {
        if let wanted = call.headers["if-match"], wanted != "*",
           !wanted.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(etag) {
            throw APIError.conditionNotMet
        }
    }

    // MARK: - Recurrence helpers

    func expansion(of master: EventRecord, in cal: CalendarData) throws(RecurrenceExpansion.Failure) -> RecurrenceExpansion {
        guard let lines = master.recurrence, let start = EventTimeValue(master.resource["start"], calendarZone: cal.zone) else {
            throw .unsupported("no recurrence")
        }
        return try RecurrenceExpansion(lines: lines, start: start, calendarZone: cal.zone)
    }

    /// The zone instance times are written in: the master's start zone, else the calendar's.
    func outputZone(of master: EventRecord, in cal: CalendarData) -> TimeZone {
        master.resource["start"]?.objectValue?["timeZone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? cal.zone
    }

    /// The resource of an unmodified instance of `master`.
    func instanceResource(master: EventRecord, occurrence: RecurrenceExpansion.Occurrence, in cal: CalendarData) -> [String: JSONValue] {
        var r = master.resource
        r.removeValue(forKey: "recurrence")
        let id = master.id + "_" + occurrence.idStamp
        r["id"] = .string(id)
        r["recurringEventId"] = .string(master.id)
        r["htmlLink"] = .string(htmlLink(eventId: id, calendarId: cal.id))
        let startObj = master.resource["start"]?.objectValue ?? [:]
        let endObj = master.resource["end"]?.objectValue ?? [:]
        if let date = occurrence.date {
            let s = EventTimeValue(master.resource["start"], calendarZone: cal.zone)?.date ?? date
            let e = EventTimeValue(master.resource["end"], calendarZone: cal.zone)?.date ?? FakeTime.CivilDate(days: s.days + 1)
            r["start"] = .object(["date": .string(date.iso)])
            r["end"] = .object(["date": .string(FakeTime.CivilDate(days: date.days + e.days - s.days).iso)])
            r["originalStartTime"] = .object(["date": .string(date.iso)])
        } else {
            let s = EventTimeValue(master.resource["start"], calendarZone: cal.zone)?.millis ?? occurrence.millis
            let e = EventTimeValue(master.resource["end"], calendarZone: cal.zone)?.millis ?? s
            let zone = outputZone(of: master, in: cal)
            var start: [String: JSONValue] = ["dateTime": .string(FakeTime.rfc3339(millis: occurrence.millis, in: zone))]
            if let tz = startObj["timeZone"] { start["timeZone"] = tz }
            var end: [String: JSONValue] = ["dateTime": .string(FakeTime.rfc3339(millis: occurrence.millis + e - s, in: zone))]
            if let tz = endObj["timeZone"] { end["timeZone"] = tz }
            r["start"] = .object(start)
            r["end"] = .object(end)
            r["originalStartTime"] = .object(start)
        }
        return r
    }

    /// A stored event, or an instance of a stored series named `{masterId}_{stamp}`.
    enum Target {
        case stored(EventRecord)
        case instance(master: EventRecord, resource: [String: JSONValue])
    }

    func target(_ eventId: String, in cal: CalendarData) throws(APIError) -> Target {
        if let record = cal.events[eventId] { return .stored(record) }
        guard let underscore = eventId.lastIndex(of: "_") else { throw .notFound }
        let masterId = String(eventId[..<underscore])
        let stamp = String(eventId[eventId.index(after: underscore)...])
        guard let master = cal.events[masterId], master.isRecurringMaster,
              let start = EventTimeValue(master.resource["start"], calendarZone: cal.zone) else { throw .notFound }
        let occurrence: RecurrenceExpansion.Occurrence
        if start.isAllDay {
            guard stamp.count == 8, let (date, time, _) = FakeTime.parseICal(stamp), time == nil else { throw .notFound }
            occurrence = .init(millis: FakeTime.instant(of: .init(date: date, hour: 0, minute: 0, second: 0), in: cal.zone), date: date)
        } else {
            guard stamp.count == 16, let (date, time, utc) = FakeTime.parseICal(stamp), let (h, m, s) = time, utc else { throw .notFound }
            occurrence = .init(millis: FakeTime.utcMillis(of: .init(date: date, hour: h, minute: m, second: s)), date: nil)
        }
        if let expansion = try? expansion(of: master, in: cal) {
            guard expansion.contains(millis: occurrence.millis, date: occurrence.date) else { throw .notFound }
        }
        if master.isCancelled { throw .deleted }
        return .instance(master: master, resource: instanceResource(master: master, occurrence: occurrence, in: cal))
    }

    // MARK: - events.insert and events.import

    func createEvent(_ call: APICall, calendarId: String, importing: Bool) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        let method = importing ? "calendar.events.import" : "calendar.events.insert"
        var dict = try parseEventBody(call.body) as? [String: Any] ?? [:]
        // An instance's id ({master}_{stamp}) is not a client-chosen id: it is checked below.
        var givenInstanceId: String?
        if dict["recurringEventId"] != nil { givenInstanceId = dict.removeValue(forKey: "id") as? String }
        var r = try validateEvent(dict, method: method)
        for key in Self.readOnlyKeys { r.removeValue(forKey: key) }
        if call.q("conferenceDataVersion") != "1" { r.removeValue(forKey: "conferenceData") }
        try checkTimes(r, in: cal)
        if let type = r["eventType"]?.stringValue, importing, type != "default" {
            throw APIError.invalid("Only events with eventType default can be imported.")
        }
        r["eventType"] = r["eventType"] ?? .string("default")
        r["status"] = r["status"] ?? .string("confirmed")
        r["sequence"] = r["sequence"] ?? .number(0)
        r["reminders"] = r["reminders"] ?? .object(["useDefault": .bool(true)])
        r["kind"] = .string("calendar#event")
        r["creator"] = .object(["email": .string(accountEmail), "self": .bool(true)])
        var selfOrganizer: [String: JSONValue] = ["email": .string(cal.id), "self": .bool(true)]
        if !cal.isPrimary { selfOrganizer["displayName"] = .string(cal.summary) }
        if importing, var organizer = r["organizer"]?.objectValue {
            if organizer["email"]?.stringValue == cal.id { organizer["self"] = .bool(true) } else { organizer.removeValue(forKey: "self") }
            r["organizer"] = .object(organizer)
        } else {
            r["organizer"] = .object(selfOrganizer)
        }

        let id: String
        if let masterId = r["recurringEventId"]?.stringValue {
            guard let original = r["originalStartTime"] else { throw APIError.required("Missing originalStartTime.") }
            guard let master = cal.events[masterId], master.isRecurringMaster else {
                throw APIError.invalid("recurringEventId \(masterId) is not a recurring event of this calendar.")
            }
            if master.isCancelled { throw APIError.invalid("The recurring event \(masterId) has been deleted.") }
            guard let masterStart = EventTimeValue(master.resource["start"], calendarZone: cal.zone),
                  let originalTime = EventTimeValue(original, calendarZone: cal.zone) else {
                throw APIError.invalid("Invalid originalStartTime.")
            }
            guard masterStart.isAllDay == originalTime.isAllDay else {
                throw APIError.invalid("originalStartTime must be a date exactly when the recurring event is all-day.")
            }
            if let expansion = try? expansion(of: master, in: cal),
               !expansion.contains(millis: originalTime.millis, date: originalTime.date) {
                throw APIError.invalid("originalStartTime does not match an instance of the recurring event.")
            }
            id = masterId + "_" + originalTime.idStamp
            if let given = givenInstanceId, given != id {
                throw APIError.invalid("Invalid resource id value. An instance of \(masterId) at that time has the id \(id).")
            }
            if let uid = r["iCalUID"]?.stringValue, uid != master.iCalUID {
                throw APIError.invalid("The iCalUID of an instance must be that of its recurring event.")
            }
            if cal.events[id] != nil { throw APIError.duplicate }
            r["iCalUID"] = master.resource["iCalUID"]
        } else {
            r.removeValue(forKey: "originalStartTime")
            if let given = r["id"]?.stringValue {
                if cal.events[given] != nil { throw APIError.duplicate }
                id = given
            } else {
                var fresh = newId()
                while cal.events[fresh] != nil { fresh = newId() }
                id = fresh
            }
            if let uid = r["iCalUID"]?.stringValue {
                if cal.byICalUID[uid]?.isEmpty == false { throw APIError.duplicate }
            } else if importing {
                throw APIError.required("Missing iCalUID.")
            } else {
                r["iCalUID"] = .string(id + "@google.com")
            }
        }
        r["id"] = .string(id)
        r["htmlLink"] = .string(htmlLink(eventId: id, calendarId: cal.id))
        let record = commit(cal, r, previous: nil)
        return .ok(.object(record.resource))
    }

    // MARK: - events.get, update, patch, delete

    func getEvent(_ call: APICall, calendarId: String, eventId: String) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        let resource: [String: JSONValue]
        switch try target(eventId, in: cal) {
        case .stored(let record): resource = record.resource
        case .instance(_, let r): resource = r
        }
        let etag = resource["etag"]?.stringValue ?? ""
        if let none = call.headers["if-none-match"], none == etag || none == "*" {
            return APIResult(status: 304, body: nil, headers: [("ETag", etag)])
        }
        return APIResult(status: 200, body: .object(resource), headers: [("ETag", etag)])
    }

    /// Fields the client cannot change with update or patch.
    static let keptOnChange: [String] = [
        "kind", "id", "created", "creator", "organizer", "iCalUID", "recurringEventId", "originalStartTime", "htmlLink",
    ]

    func updateEvent(_ call: APICall, calendarId: String, eventId: String, patch: Bool) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        let base: [String: JSONValue]
        let previous: EventRecord?
        switch try target(eventId, in: cal) {
        case .stored(let record):
            base = record.resource
            previous = record
        case .instance(_, let r):
            base = r
            previous = nil
        }
        try checkIfMatch(call, etag: base["etag"]?.stringValue ?? "")
        var parsed = try parseEventBody(call.body) as? [String: Any] ?? [:]
        // The id comes from the URL; a body's id (an instance's, say) is ignored.
        parsed.removeValue(forKey: "id")
        var r: [String: JSONValue]
        if patch {
            // Nulls clear fields; the merged resource is what gets validated.
            let merged = Self.merge(base, FakeJSON.value(parsed)).objectValue ?? base
            r = try validateEvent(FakeJSON.any(.object(merged.filter { !Self.readOnlyKeys.contains($0.key) && $0.key != "id" })), method: nil)
            for key in Self.readOnlyKeys { r[key] = base[key] }
            for key in Self.keptOnChange { r[key] = base[key] }
            if r["start"] == nil || r["end"] == nil {
                throw APIError.required(r["start"] == nil ? "Missing start time." : "Missing end time.")
            }
        } else {
            r = try validateEvent(parsed, method: "calendar.events.update")
            for key in Self.readOnlyKeys { r.removeValue(forKey: key) }
            for key in Self.keptOnChange { r[key] = base[key] }
            r["status"] = r["status"] ?? .string("confirmed")
            r["sequence"] = r["sequence"] ?? base["sequence"] ?? .number(0)
            r["reminders"] = r["reminders"] ?? .object(["useDefault": .bool(true)])
            r["eventType"] = r["eventType"] ?? base["eventType"]
        }
        if call.q("conferenceDataVersion") != "1" { r["conferenceData"] = base["conferenceData"] }
        if let type = r["eventType"], let old = base["eventType"], type != old {
            throw APIError.invalid("Event type cannot be changed.")
        }
        try checkTimes(r, in: cal)
        try checkSequence(old: base, new: r)
        for key in ["etag", "updated"] { r[key] = base[key] }
        let record = commit(cal, r, previous: previous)
        if record.isCancelled && record.isRecurringMaster { cancelExceptions(of: record.id, in: cal) }
        return .ok(.object(record.resource))
    }

    /// Patch semantics: objects merge member by member, `null` removes, anything else replaces.
    static func merge(_ base: [String: JSONValue], _ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var result = base
        for (key, value) in p {
            switch value {
            case .null: result.removeValue(forKey: key)
            case .object:
                if case .object(let inner)? = result[key] { result[key] = merge(inner, value) } else { result[key] = merge([:], value) }
            default: result[key] = value
            }
        }
        return .object(result)
    }

    func deleteEvent(_ call: APICall, calendarId: String, eventId: String) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        switch try target(eventId, in: cal) {
        case .stored(let record):
            if record.isCancelled { throw APIError.deleted }
            try checkIfMatch(call, etag: record.etag)
            var r = record.resource
            r["status"] = .string("cancelled")
            commit(cal, r, previous: record)
            if record.isRecurringMaster { cancelExceptions(of: record.id, in: cal) }
        case .instance(let master, var r):
            try checkIfMatch(call, etag: master.etag)
            r["status"] = .string("cancelled")
            commit(cal, r, previous: nil)
        }
        return .noContent
    }

    func cancelExceptions(of masterId: String, in cal: CalendarData) {
        for id in cal.exceptionsByMaster[masterId] ?? [] {
            guard let e = cal.events[id], !e.isCancelled else { continue }
            var r = e.resource
            r["status"] = .string("cancelled")
            commit(cal, r, previous: e)
        }
    }

    // MARK: - Calendars and the calendar list

    func calendarResource(_ cal: CalendarData) -> JSONValue {
        var r: [String: JSONValue] = [
            "kind": .string("calendar#calendar"), "etag": .string(cal.etag), "id": .string(cal.id),
            "summary": .string(cal.summary), "timeZone": .string(cal.timeZoneName),
            "conferenceProperties": .object(["allowedConferenceSolutionTypes": .array([.string("hangoutsMeet")])]),
        ]
        if let d = cal.description { r["description"] = .string(d) }
        if let l = cal.location { r["location"] = .string(l) }
        // "The email of the owner of the calendar. Set only for secondary calendars."
        if !cal.isPrimary { r["dataOwner"] = .string(accountEmail) }
        return .object(r)
    }

    func calendarListEntry(_ cal: CalendarData) -> JSONValue {
        var r = calendarResource(cal).objectValue!
        r["kind"] = .string("calendar#calendarListEntry")
        r["colorId"] = .string(cal.isPrimary ? "14" : "1")
        r["backgroundColor"] = .string(cal.isPrimary ? "#9fe1e7" : "#ac725e")
        r["foregroundColor"] = .string("#000000")
        r["selected"] = .bool(true)
        r["accessRole"] = .string("owner")
        r["defaultReminders"] = .array(cal.defaultReminders)
        if cal.isPrimary {
            r["primary"] = .bool(true)
            r["notificationSettings"] = .object(["notifications": .array([
                .object(["type": .string("eventCreation"), "method": .string("email")]),
                .object(["type": .string("eventChange"), "method": .string("email")]),
                .object(["type": .string("eventCancellation"), "method": .string("email")]),
                .object(["type": .string("eventResponse"), "method": .string("email")]),
            ])])
        }
        return .object(r)
    }

    func listCalendars(_ call: APICall) throws(APIError) -> APIResult {
        let max = min(Int(call.q("maxResults") ?? "") ?? 100, 250)
        var start = 0
        if let token = call.q("pageToken") {
            guard token.hasPrefix("cl"), let n = Int(token.dropFirst(2)), n >= 0 else {
                throw APIError.invalid("Invalid page token value.", location: "pageToken")
            }
            start = n
        }
        let all = calendarOrder.compactMap { calendars[$0] }
        let page = all.dropFirst(start).prefix(max)
        var r: [String: JSONValue] = [
            "kind": .string("calendar#calendarList"), "etag": .string("\"\(changeCounter)\""),
            "items": .array(page.map(calendarListEntry)),
        ]
        if start + page.count < all.count {
            r["nextPageToken"] = .string("cl\(start + page.count)")
        } else {
            r["nextSyncToken"] = .string("cls\(changeCounter)")
        }
        return .ok(.object(r))
    }

    func insertCalendar(_ call: APICall) throws(APIError) -> APIResult {
        guard let any = FakeJSON.parse(call.body) else { throw call.body.isEmpty ? APIError.required("Required") : APIError.parseError() }
        guard var dict = any as? [String: Any] else { throw APIError.invalid("Invalid JSON payload received. Expected an object.") }
        if let schema {
            var problems = schema.validate(dict, against: "Calendar", requiredFor: "calendar.calendars.insert")
            if !rejectUnknownFields {
                for p in problems where p.contains(": unknown field") {
                    if let range = p.range(of: ": unknown field") { Self.remove(path: String(p[..<range.lowerBound]), from: &dict) }
                }
                problems.removeAll { $0.contains(": unknown field") }
            }
            if problems.contains(where: { $0.hasPrefix("summary: required") }) { throw APIError.required("Missing title.") }
            if !problems.isEmpty { throw APIError.invalid("Invalid resource: " + problems.joined(separator: "; ")) }
        }
        guard let summary = dict["summary"] as? String else { throw APIError.required("Missing title.") }
        let zoneName = dict["timeZone"] as? String ?? "UTC"
        guard TimeZone(identifier: zoneName) != nil else { throw APIError.invalid("Invalid time zone: \(zoneName)") }
        let id = newId() + "@group.calendar.google.com"
        let cal = CalendarData(id: id, summary: summary, timeZone: zoneName, isPrimary: false, now: now())
        cal.description = dict["description"] as? String
        cal.location = dict["location"] as? String
        calendars[id] = cal
        calendarOrder.append(id)
        _ = nextChange()
        return .ok(calendarResource(cal))
    }

    func deleteCalendar(_ call: APICall, calendarId: String) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        if cal.isPrimary { throw APIError(code: 400, reason: "cannotDeletePrimaryCalendar", message: "Cannot delete primary calendar.") }
        calendars.removeValue(forKey: cal.id)
        calendarOrder.removeAll { $0 == cal.id }
        _ = nextChange()
        return .noContent
    }
}
