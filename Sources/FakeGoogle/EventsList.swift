import Foundation
import GoogleCalendar

/// events.list (full and incremental) and events.instances.
extension FakeState {
    /// Parameters Google refuses together with syncToken.
    static let syncIncompatible = [
        "iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin",
    ]

    // MARK: - Tokens

    /// Page and sync tokens: opaque to clients, base64url of "kind|calendar|numbers...".
    static func token(_ parts: [String]) -> String {
        Data(parts.joined(separator: "|").utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func untoken(_ token: String) -> [String]? {
        var b64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else { return nil }
        return text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }

    func syncToken(_ cal: CalendarData, snapshot: Int) -> String {
        Self.token(["sync", cal.id, String(snapshot), String(syncEpoch)])
    }

    // MARK: - Filters

    struct ListFilter {
        var showDeleted = false
        var singleEvents = false
        var iCalUID: String?
        var timeMin: Int64?
        var timeMax: Int64?
        var updatedMin: Int64?
        var q: String?
        var privateProperties: [(String, String)] = []
        var sharedProperties: [(String, String)] = []
        var eventTypes: Set<String>?
    }

    func parseFilter(_ call: APICall) throws(APIError) -> ListFilter {
        var f = ListFilter()
        f.showDeleted = call.flag("showDeleted")
        f.singleEvents = call.flag("singleEvents")
        f.iCalUID = call.q("iCalUID")
        for (name, keyPath) in [("timeMin", \ListFilter.timeMin), ("timeMax", \ListFilter.timeMax), ("updatedMin", \ListFilter.updatedMin)] {
            guard let text = call.q(name) else { continue }
            guard let instant = FakeTime.parseInstant(text) else {
                throw APIError.invalid("Bad Request: \(name) must be an RFC 3339 timestamp with a time zone offset", location: name)
            }
            f[keyPath: keyPath] = instant
        }
        if let a = f.timeMin, let b = f.timeMax, a >= b { throw APIError.timeRangeEmpty }
        f.q = call.q("q").flatMap { $0.isEmpty ? nil : $0.lowercased() }
        func pairs(_ name: String) throws(APIError) -> [(String, String)] {
            var result: [(String, String)] = []
            for item in call.all(name) {
                guard let eq = item.firstIndex(of: "=") else { throw APIError.invalid("Invalid value for \(name): \(item)", location: name) }
                result.append((String(item[..<eq]), String(item[item.index(after: eq)...])))
            }
            return result
        }
        f.privateProperties = try pairs("privateExtendedProperty")
        f.sharedProperties = try pairs("sharedExtendedProperty")
        let types = call.all("eventTypes").flatMap { $0.split(separator: ",").map(String.init) }
        f.eventTypes = types.isEmpty ? nil : Set(types)
        return f
    }

    /// The instants an event occupies: [start, end); for a series, from its first start to the
    /// end of its last instance (unbounded when the rule has no end or is not expanded).
    func span(of record: EventRecord, in cal: CalendarData) -> (Int64, Int64)? {
        let r = record.resource
        guard let start = EventTimeValue(r["start"] ?? r["originalStartTime"], calendarZone: cal.zone) else { return nil }
        let end = EventTimeValue(r["end"], calendarZone: cal.zone)?.millis ?? start.millis
        guard record.isRecurringMaster else { return (start.millis, end) }
        guard let expansion = try? expansion(of: record, in: cal), expansion.isFinite else { return (start.millis, .max) }
        let last = expansion.occurrences(through: nil, limit: 1_000_000).last?.millis ?? start.millis
        return (start.millis, last + (end - start.millis))
    }

    static func overlaps(_ span: (Int64, Int64), _ f: ListFilter) -> Bool {
        let (start, end) = span
        if let min = f.timeMin, !(end > min || (start == end && start >= min)) { return false }
        if let max = f.timeMax, !(start < max) { return false }
        return true
    }

    /// Every filter but the time window and the cancelled rule.
    func matchesFields(_ record: EventRecord, _ f: ListFilter) -> Bool {
        let r = record.resource
        if let uid = f.iCalUID, record.iCalUID != uid { return false }
        if let min = f.updatedMin, record.updatedMillis < min { return false }
        if let q = f.q {
            let text = ["summary", "description", "location"].compactMap { r[$0]?.stringValue?.lowercased() }
            if !text.contains(where: { $0.contains(q) }) { return false }
        }
        let ext = r["extendedProperties"]?.objectValue
        for (k, v) in f.privateProperties where ext?["private"]?.objectValue?[k]?.stringValue != v { return false }
        for (k, v) in f.sharedProperties where ext?["shared"]?.objectValue?[k]?.stringValue != v { return false }
        if let types = f.eventTypes, !types.contains(r["eventType"]?.stringValue ?? "default") { return false }
        return true
    }

    /// Whether a cancelled event is listed by a full (not incremental) list.
    func listsCancelled(_ record: EventRecord, _ f: ListFilter, in cal: CalendarData) -> Bool {
        if f.showDeleted { return true }
        // Entries deleted since updatedMin are always included.
        if let min = f.updatedMin, record.updatedMillis >= min { return true }
        // Cancelled instances of a live series are listed when singleEvents is false.
        if !f.singleEvents, let master = record.recurringEventId, let m = cal.events[master], !m.isCancelled { return true }
        return false
    }

    /// How a list shows an event: cancelled ones as tombstones.
    func listItem(_ resource: [String: JSONValue]) -> JSONValue {
        guard resource["status"]?.stringValue == "cancelled" else { return .object(resource) }
        var t: [String: JSONValue] = [:]
        for key in ["kind", "etag", "id", "status", "recurringEventId", "originalStartTime"] { t[key] = resource[key] }
        return .object(t)
    }

    func envelope(_ cal: CalendarData, items: [JSONValue], nextPageToken: String?, nextSyncToken: String?) -> JSONValue {
        var r: [String: JSONValue] = [
            "kind": .string("calendar#events"), "etag": .string("\"\(cal.updatedMillis)\""),
            "summary": .string(cal.summary), "updated": .string(FakeTime.rfc3339UTC(millis: cal.updatedMillis)),
            "timeZone": .string(cal.timeZoneName), "accessRole": .string("owner"),
            "defaultReminders": .array(cal.defaultReminders), "items": .array(items),
        ]
        if let d = cal.description { r["description"] = .string(d) }
        if let nextPageToken { r["nextPageToken"] = .string(nextPageToken) }
        if let nextSyncToken { r["nextSyncToken"] = .string(nextSyncToken) }
        return .object(r)
    }

    static func pageSize(_ call: APICall) -> Int { min(max(Int(call.q("maxResults") ?? "") ?? 250, 1), 2500) }

    // MARK: - events.list

    func listEvents(_ call: APICall, calendarId: String) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        let pageSize = Self.pageSize(call)
        if let sync = call.q("syncToken") {
            let rejected = Self.syncIncompatible.filter(call.has)
            if !rejected.isEmpty {
                throw APIError.invalid(
                    "Sync token cannot be used with the parameters: \(rejected.joined(separator: ", ")).", location: rejected[0])
            }
            if call.flag("singleEvents") { throw APIError.notSupported("syncToken with singleEvents=true") }
            return try incremental(call, cal, syncToken: sync, pageSize: pageSize)
        }
        let f = try parseFilter(call)
        let orderBy = call.q("orderBy")
        if orderBy == "startTime" && !f.singleEvents {
            throw APIError.invalid("The requested ordering is not available for the particular query.", location: "orderBy")
        }
        // The page token: where to continue and the change number when the listing began.
        var position = 0
        var snapshot = changeCounter
        if let token = call.q("pageToken") {
            guard let parts = Self.untoken(token), parts.count == 4, parts[0] == "page", parts[1] == cal.id,
                  let p = Int(parts[2]), let s = Int(parts[3]), p >= 0 else {
                throw APIError.invalid("Invalid page token value.", location: "pageToken")
            }
            position = p
            snapshot = s
        }
        func page(_ next: Int?) -> (String?, String?) {
            if let next { return (Self.token(["page", cal.id, String(next), String(snapshot)]), nil) }
            return (nil, self.syncToken(cal, snapshot: snapshot))
        }

        if !f.singleEvents && orderBy == nil {
            // Creation order; the position is an index into it, which never moves.
            var items: [JSONValue] = []
            var index = position
            var next: Int?
            while index < cal.order.count {
                let record = cal.events[cal.order[index]]!
                if listed(record, f, cal) {
                    if items.count == pageSize {
                        next = index
                        break
                    }
                    items.append(listItem(record.resource))
                }
                index += 1
            }
            let (pageToken, syncToken) = page(next)
            return .ok(envelope(cal, items: items, nextPageToken: pageToken, nextSyncToken: syncToken))
        }

        // Ordered or expanded listings are computed whole and cut into pages by offset.
        var rows: [(sort: Int64, id: String, resource: [String: JSONValue])] = []
        if f.singleEvents {
            rows = try expandedRows(cal, f)
        } else {
            for id in cal.order {
                let record = cal.events[id]!
                if listed(record, f, cal) { rows.append((record.updatedMillis, id, record.resource)) }
            }
        }
        if orderBy == "updated" {
            rows.sort { ($0.resource["updated"]?.stringValue ?? "", $0.id) < ($1.resource["updated"]?.stringValue ?? "", $1.id) }
        } else if f.singleEvents {
            rows.sort { ($0.sort, $0.id) < ($1.sort, $1.id) }
        }
        let slice = rows.dropFirst(position).prefix(pageSize)
        let end = position + slice.count
        let (pageToken, syncToken) = page(end < rows.count ? end : nil)
        return .ok(envelope(cal, items: slice.map { listItem($0.resource) }, nextPageToken: pageToken, nextSyncToken: syncToken))
    }

    /// Whether a full list with singleEvents=false shows the event.
    func listed(_ record: EventRecord, _ f: ListFilter, _ cal: CalendarData) -> Bool {
        if record.isCancelled && !listsCancelled(record, f, in: cal) { return false }
        guard matchesFields(record, f) else { return false }
        if f.timeMin != nil || f.timeMax != nil, let span = span(of: record, in: cal), !Self.overlaps(span, f) { return false }
        return true
    }

    /// singleEvents=true: series replaced by their instances (modified ones by their exceptions).
    func expandedRows(_ cal: CalendarData, _ f: ListFilter) throws(APIError) -> [(sort: Int64, id: String, resource: [String: JSONValue])] {
        var rows: [(sort: Int64, id: String, resource: [String: JSONValue])] = []
        for id in cal.order {
            let record = cal.events[id]!
            guard matchesFields(record, f) else { continue }
            if record.isRecurringMaster {
                if record.isCancelled { continue }
                let expansion: RecurrenceExpansion
                do {
                    expansion = try self.expansion(of: record, in: cal)
                } catch {
                    throw APIError.notSupported("singleEvents=true with the recurrence \(record.recurrence ?? []) (\(error))")
                }
                let exceptions = Set((cal.exceptionsByMaster[id] ?? []).compactMap { cal.events[$0]?.id })
                for occurrence in occurrences(expansion, f) {
                    let instanceId = id + "_" + occurrence.idStamp
                    if exceptions.contains(instanceId) { continue }
                    let r = instanceResource(master: record, occurrence: occurrence, in: cal)
                    let rec = EventRecord(resource: r, changeSeq: record.changeSeq, updatedMillis: record.updatedMillis)
                    if let span = span(of: rec, in: cal), !Self.overlaps(span, f) { continue }
                    rows.append((occurrence.millis, instanceId, r))
                }
            } else {
                if record.isCancelled {
                    // Only instances of deleted events, never the deleted series, and only with showDeleted.
                    guard f.showDeleted || (f.updatedMin.map { record.updatedMillis >= $0 } ?? false) else { continue }
                    if record.recurringEventId == nil, record.recurrence != nil { continue }
                } else if let master = record.recurringEventId, cal.events[master]?.isCancelled == true {
                    continue
                }
                if let span = span(of: record, in: cal), !Self.overlaps(span, f) { continue }
                let start = EventTimeValue(record.resource["start"] ?? record.resource["originalStartTime"], calendarZone: cal.zone)
                rows.append((start?.millis ?? 0, id, record.resource))
            }
        }
        return rows
    }

    /// A series' occurrences within the filter's window (bounded when the window is open-ended).
    func occurrences(_ expansion: RecurrenceExpansion, _ f: ListFilter) -> [RecurrenceExpansion.Occurrence] {
        let limit = f.timeMax == nil && !expansion.isFinite ? unboundedExpansionLimit : 1_000_000
        return expansion.occurrences(through: f.timeMax, limit: limit)
    }

    // MARK: - Incremental sync

    func incremental(_ call: APICall, _ cal: CalendarData, syncToken: String, pageSize: Int) throws(APIError) -> APIResult {
        guard let parts = Self.untoken(syncToken), parts.count == 4, parts[0] == "sync", let since = Int(parts[2]),
              let epoch = Int(parts[3]) else {
            throw APIError.invalid("Invalid sync token value.", location: "syncToken")
        }
        guard parts[1] == cal.id else { throw APIError.invalid("Invalid sync token value.", location: "syncToken") }
        guard epoch == syncEpoch else { throw APIError.fullSyncRequired }
        // Page tokens of an incremental listing: the last change number returned and the snapshot.
        var after = since
        var snapshot = changeCounter
        if let token = call.q("pageToken") {
            guard let p = Self.untoken(token), p.count == 5, p[0] == "delta", p[1] == cal.id,
                  let a = Int(p[2]), let s = Int(p[3]), let e = Int(p[4]) else {
                throw APIError.invalid("Invalid page token value.", location: "pageToken")
            }
            guard e == syncEpoch else { throw APIError.fullSyncRequired }
            after = a
            snapshot = s
        }
        let eventTypes = Set(call.all("eventTypes").flatMap { $0.split(separator: ",").map(String.init) })
        let changed = cal.events.values
            .filter { $0.changeSeq > after && $0.changeSeq <= snapshot }
            .filter { eventTypes.isEmpty || $0.isCancelled || eventTypes.contains($0.resource["eventType"]?.stringValue ?? "default") }
            .sorted { $0.changeSeq < $1.changeSeq }
        let page = changed.prefix(pageSize)
        if page.count < changed.count, let last = page.last {
            let next = Self.token(["delta", cal.id, String(last.changeSeq), String(snapshot), String(syncEpoch)])
            return .ok(envelope(cal, items: page.map { listItem($0.resource) }, nextPageToken: next, nextSyncToken: nil))
        }
        return .ok(envelope(cal, items: page.map { listItem($0.resource) }, nextPageToken: nil,
                            nextSyncToken: self.syncToken(cal, snapshot: snapshot)))
    }

    // MARK: - events.instances

    func listInstances(_ call: APICall, calendarId: String, eventId: String) throws(APIError) -> APIResult {
        let cal = try calendar(calendarId)
        guard let master = cal.events[eventId] else { throw APIError.notFound }
        if master.isCancelled { throw APIError.deleted }
        guard master.isRecurringMaster else { throw APIError.invalid("The event \(eventId) is not a recurring event.") }
        let expansion: RecurrenceExpansion
        do {
            expansion = try self.expansion(of: master, in: cal)
        } catch {
            throw APIError.notSupported("events.instances for the recurrence \(master.recurrence ?? []) (\(error))")
        }
        var f = ListFilter()
        for (name, keyPath) in [("timeMin", \ListFilter.timeMin), ("timeMax", \ListFilter.timeMax)] {
            guard let text = call.q(name) else { continue }
            guard let instant = FakeTime.parseInstant(text) else { throw APIError.invalid("Invalid value for \(name).", location: name) }
            f[keyPath: keyPath] = instant
        }
        if let a = f.timeMin, let b = f.timeMax, a >= b { throw APIError.timeRangeEmpty }
        let showDeleted = call.flag("showDeleted")
        var originalStart: String?
        if let text = call.q("originalStart") {
            if let d = FakeTime.parseDate(text) {
                originalStart = d.compact
            } else if let instant = FakeTime.parseInstant(text) {
                originalStart = FakeTime.compactUTC(millis: instant)
            } else {
                throw APIError.invalid("Invalid value for originalStart.", location: "originalStart")
            }
        }
        var rows: [[String: JSONValue]] = []
        for occurrence in occurrences(expansion, f) {
            if let originalStart, occurrence.idStamp != originalStart { continue }
            let id = master.id + "_" + occurrence.idStamp
            if let exception = cal.events[id] {
                if exception.isCancelled && !showDeleted { continue }
                rows.append(exception.resource)
            } else {
                let r = instanceResource(master: master, occurrence: occurrence, in: cal)
                let rec = EventRecord(resource: r, changeSeq: master.changeSeq, updatedMillis: master.updatedMillis)
                if let span = span(of: rec, in: cal), !Self.overlaps(span, f) { continue }
                rows.append(r)
            }
        }
        var position = 0
        if let token = call.q("pageToken") {
            guard let p = Self.untoken(token), p.count == 3, p[0] == "instances", p[1] == master.id, let n = Int(p[2]), n >= 0 else {
                throw APIError.invalid("Invalid page token value.", location: "pageToken")
            }
            position = n
        }
        let size = Self.pageSize(call)
        let slice = rows.dropFirst(position).prefix(size)
        let end = position + slice.count
        let next = end < rows.count ? Self.token(["instances", master.id, String(end)]) : nil
        return .ok(envelope(cal, items: slice.map(listItem), nextPageToken: next, nextSyncToken: nil))
    }
}
