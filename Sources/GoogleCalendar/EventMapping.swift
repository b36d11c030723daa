import CalendarModel
import Foundation

/// Every field of Google's Event resource (calendar.v3.json). Each case is mapped in both
/// directions by one exhaustive `switch` per direction, so a field added here does not
/// compile until both directions handle it; docs/mapping.md describes each. The same holds for
/// the fast JSON writer and reader (FastJSON.swift, FastJSONReading.swift), the comparison
/// (GoogleEventDiff) and Codable (`GoogleEvent.CodingKeys`); the events.list masks of pull and
/// push are derived from it.
public enum EventField: String, CaseIterable, Sendable, CodingKey {
    case kind, etag, id, status, htmlLink, created, updated, summary, description, location, colorId
    case creator, organizer, start, end, endTimeUnspecified, recurrence, recurringEventId, originalStartTime
    case transparency, visibility, iCalUID, sequence, attendees, attendeesOmitted, extendedProperties
    case hangoutLink, conferenceData, gadget, anyoneCanAddSelf, guestsCanInviteOthers, guestsCanModify
    case guestsCanSeeOtherGuests, privateCopy, locked, reminders, source
    case workingLocationProperties, outOfOfficeProperties, focusTimeProperties, birthdayProperties
    case attachments, eventType, eventLabelId
}

/// Options that decide what the mapping does where iCalendar and Google differ.
public struct MappingOptions: Sendable {
    /// The zone floating times are placed in when the calendar names none (`--default-tz`).
    public var defaultTimeZone: String?
    /// Google → model: restore the iCalendar lines calport carried in
    /// `extendedProperties.private`. False reads an event as Google itself does, from its own
    /// fields alone (`verify` judges Google JSON this way); the carried entries then stay
    /// private properties, as another application's would.
    public var readsCarrier: Bool
    public init(defaultTimeZone: String? = nil, readsCarrier: Bool = true) {
        self.defaultTimeZone = defaultTimeZone
        self.readsCarrier = readsCarrier
    }
}

/// Maps the neutral model to Google Event resources and back.
public struct GoogleEventMapper: Sendable {
    public var options: MappingOptions
    /// The calendar's zone (X-WR-TIMEZONE or the events list's `timeZone`).
    public var calendarTimeZone: String?

    /// For TZIDs that are neither IANA nor Windows names, the IANA zone the source's own
    /// definition matches in a given year (the iCalendar reader supplies this).
    public var zoneEquivalent: (@Sendable (_ tzid: String, _ year: Int) -> String?)?

    public init(options: MappingOptions = MappingOptions(), calendarTimeZone: String? = nil) {
        self.options = options
        self.calendarTimeZone = calendarTimeZone
    }

    /// The IANA name Google gets for a TZID.
    func ianaName(_ tzid: String, year: Int) -> String? {
        TimeZoneNames.ianaName(for: tzid) ?? zoneEquivalent?(tzid, year)
    }

    /// The zone that floating times are read in: the calendar's, else `--default-tz`.
    var floatingZone: String? { calendarTimeZone ?? options.defaultTimeZone }

    /// Markers calport writes among the carried lines; consumed on the way back.
    enum Marker {
        static let floating = "X-CALPORT-FLOATING"
        static let parameters = "X-CALPORT-PARAMETERS"
        static let attendees = PeopleMapping.residueMarker
    }

    // MARK: - Model to Google

    public func googleEvent(from e: Event, report: (Diagnostic) -> Void) -> GoogleEvent {
        var g = GoogleEvent()
        var said: Set<String> = []
        // The UID alone is captured: a closure holding `e` copied the whole event each time
        // `diag` was passed on.
        let uid = e.uid
        func diag(_ s: Diagnostic.Severity, _ m: String) {
            if said.insert(m).inserted { report(Diagnostic(s, m, uid: uid)) }
        }
        let recurring = e.isRecurring
        // What Google cannot hold, as content lines for extendedProperties.private.
        // Each as its name and the rest of its line (`;X-P=1:value`), which is what the carrier
        // keeps under the name.
        var carried: [(name: String, rest: String)] = []
        // Room for what is carried most often (the verbatim lines, the alarms, a marker or
        // two), so that the list is made once rather than grown through its doublings.
        carried.reserveCapacity(e.properties.count + e.alarms.count + 2)
        func carry(_ p: Property) { carried.append((p.name, p.contentLineAfterName)) }
        // Attendees' compact residues, carried as grouped lines once the limits are applied.
        var residues: [PeopleMapping.Residue] = []
        // The X-GOOGLE-* properties (every name `first` is asked for), by name.
        var byName: [String: [Property]] = [:]
        for p in e.properties where p.name.utf8.starts(with: GoogleOnlyFields.prefix) { byName[p.name, default: []].append(p) }
        func first(_ name: String) -> Property? { byName.isEmpty ? nil : byName[name]?.first }
        // The Google-only fields those properties name, so that the fields the event has none
        // for (nearly all) are passed over without looking their names up.
        let googleOnly: [EventField] = byName.isEmpty ? [] : byName.keys.compactMap { GoogleOnlyFields.field[$0] }

        for field in EventField.allCases {
            switch field {
            case .kind: g.kind = "calendar#event"
            case .iCalUID: g.iCalUID = e.uid
            case .originalStartTime:
                g.originalStartTime = e.recurrenceID.map { dateTime($0, recurring: true, diag) }
                if e.recurrenceIDThisAndFuture {
                    diag(.warning, "RECURRENCE-ID;RANGE=THISANDFUTURE has no Google equivalent; only this occurrence is changed in Google")
                    carry(Property(name: "X-CALPORT-RANGE", value: "THISANDFUTURE"))
                }
            case .start: g.start = e.start.map { dateTime($0, recurring: recurring, diag) }
            case .end:
                // Google needs an end: DURATION and RFC 5545's defaults become an explicit one.
                g.end = endTime(e).map { dateTime($0, recurring: recurring, diag) }
                if let d = e.duration, e.end == nil { carry(Property(name: "DURATION", value: d.icalString)) }
            case .recurrence:
                var lines: [String] = []
                lines += e.recurrenceRules.map { "RRULE:" + normalisedRule($0, start: e.start, diag) }
                lines += e.exceptionRules.map { "EXRULE:" + normalisedRule($0, start: e.start, diag) }
                for r in e.recurrenceDates {
                    let r = recurrenceDate(r)
                    guard case .time = r else {
                        // Google's recurrence holds no PERIOD RDATE (its documentation and
                        // ../shared/reference name none): the occurrence starts at the period's
                        // start and lasts as the event does; the period is carried to come back.
                        let at = GoogleEventMapper.rdateLine(.time(r.start))
                        if let length = periodLength(r), let usual = eventLength(e), length != usual {
                            diag(.warning, "RDATE period \(GoogleEventMapper.rdateLine(r)): Google's recurrence holds no PERIOD; written as \(at), so that occurrence lasts \(usual) seconds as the event does, not the period's \(length)")
                        }
                        lines.append(at)
                        if let p = Property(contentLine: GoogleEventMapper.rdateLine(r)) { carry(p) }
                        continue
                    }
                    lines.append(GoogleEventMapper.rdateLine(r))
                }
                lines += e.exceptionDates.map(recurrenceTime).map {
                    Property(name: "EXDATE", parameters: $0.icalParameters, value: $0.icalValue).contentLine
                }
                if e.recurrenceID != nil && !lines.isEmpty {
                    // RFC 5545 gives an override (RECURRENCE-ID) no rule of its own; Google would
                    // expand it as a series (929 occurrences for one seen in the wild). The
                    // override wins; its recurrence lines are carried so the .ics gets them back.
                    diag(.warning, "VEVENT has both RECURRENCE-ID and recurrence rules or dates, which RFC 5545 does not allow; written as the one occurrence its RECURRENCE-ID names, the rules carried in extendedProperties")
                    for line in lines { if let p = Property(contentLine: line) { carry(p) } }
                    lines = []
                }
                g.recurrence = lines.isEmpty ? nil : lines
                if (e.start.map { if case .floating = $0 { return true } else { return false } } ?? false) {
                    carry(Property(name: Marker.floating, value: "TRUE"))
                }
            case .summary: g.summary = e.summary
            case .description: g.description = e.description
            case .location: g.location = e.location
            case .status: g.status = EventValues.status.google(e.status)
            case .transparency: g.transparency = EventValues.transparency.google(e.transparency)
            case .visibility:
                guard let c = e.classification else { break }
                if c == .public {
                    // RFC 5545's default, which Outlook writes on every event: in Google, "public"
                    // would publish the details of events in a calendar that is private. The
                    // calendar's default is what PUBLIC means; the line is carried to come back.
                    g.visibility = "default"
                    carry(Property(name: "CLASS", value: c.text))
                } else if let v = EventValues.visibility.google(c) {
                    g.visibility = v
                } else {
                    diag(.note, "CLASS \(c.text) has no Google visibility; carried in extendedProperties")
                    carry(Property(name: "CLASS", value: c.text))
                }
            case .sequence: g.sequence = e.sequence
            case .created: g.created = e.created.map(GoogleEventMapper.rfc3339)
            case .updated: g.updated = e.lastModified.map(GoogleEventMapper.rfc3339)
            case .organizer:
                if let o = e.organizer {
                    let (person, residue) = PeopleMapping.organizer(o)
                    g.organizer = person
                    if let residue { carry(residue) }
                    if person == nil { diag(.note, "ORGANIZER \(o.address) is not an e-mail address; carried in extendedProperties") }
                }
            case .attendees:
                var list: [GoogleEvent.Attendee] = []
                list.reserveCapacity(e.attendees.count)
                residues.reserveCapacity(e.attendees.count)
                for a in e.attendees {
                    let (attendee, residue) = PeopleMapping.attendee(a)
                    if let attendee { list.append(attendee) } else {
                        diag(.note, "ATTENDEE \(a.address) is not an e-mail address; carried in extendedProperties")
                    }
                    switch residue {
                    case .line(let p)?: carry(p)
                    case .residue(let r)?: residues.append(r)
                    case nil: break
                    }
                }
                g.attendees = list.isEmpty ? nil : list
            case .reminders:
                let useDefault = first(GoogleOnlyFields.useDefaultReminders)?.value.uppercased() == "TRUE"
                let (reminders, residues, notes) = AlarmMapping.reminders(e.alarms, useDefault: useDefault)
                g.reminders = reminders
                residues.forEach(carry)
                notes.forEach { diag(.note, $0) }
            case .source:
                let title = first(GoogleOnlyFields.sourceTitle).map { ICalText.unescape($0.value) }
                if e.url != nil || title != nil {
                    var s = GoogleEvent.Source()
                    s.url = e.url
                    s.title = title
                    g.source = s
                }
            case .attachments:
                var list: [GoogleEvent.EventAttachment] = []
                for a in e.attachments {
                    if let uri = a.uri {
                        var att = GoogleEvent.EventAttachment()
                        att.fileUrl = uri
                        att.mimeType = a.formatType
                        att.title = a.parameters.first { $0.name == "FILENAME" || $0.name == "X-FILENAME" }?.value
                        att.fileId = a.parameters.first { $0.name == "X-GOOGLE-FILE-ID" }?.value
                        att.iconLink = a.parameters.first { $0.name == "X-GOOGLE-ICON-LINK" }?.value
                        list.append(att)
                        let known: Set<String> = ["FILENAME", "X-FILENAME", "X-GOOGLE-FILE-ID", "X-GOOGLE-ICON-LINK"]
                        if a.parameters.contains(where: { !known.contains($0.name) }) { carry(a.property) }
                    } else {
                        diag(.note, "an inline (binary) ATTACH has no Google equivalent; carried in extendedProperties")
                        carry(a.property)
                    }
                }
                g.attachments = list.isEmpty ? nil : list
            case .colorId:
                if let c = e.color {
                    g.colorId = Palette.nearestColorId(to: c)
                    carry(Property(name: "COLOR", value: c))
                    if g.colorId == nil { diag(.note, "COLOR \(c) is not a CSS colour name; carried in extendedProperties") }
                }
                if let p = first("X-GOOGLE-COLOR-ID") { _ = GoogleOnlyFields.apply(p, for: .colorId, to: &g) }
            case .id, .etag, .htmlLink, .recurringEventId, .hangoutLink, .conferenceData, .gadget, .creator,
                 .anyoneCanAddSelf, .guestsCanInviteOthers, .guestsCanModify, .guestsCanSeeOtherGuests, .privateCopy,
                 .locked, .attendeesOmitted, .endTimeUnspecified, .eventType, .eventLabelId,
                 .workingLocationProperties, .outOfOfficeProperties, .focusTimeProperties, .birthdayProperties:
                guard googleOnly.contains(field) else { break }
                let name = GoogleOnlyFields.table[field]!.property
                if let p = first(name), !GoogleOnlyFields.apply(p, for: field, to: &g) {
                    diag(.warning, "\(name) has a malformed value; carried in extendedProperties")
                    carry(p)
                }
            case .extendedProperties:
                break  // assembled below, once everything else has decided what to carry
            }
        }

        // Everything else in the event: the remaining properties and the parameters the typed
        // fields could not hold.
        var shared: [String: String] = [:]
        var foreignPrivate: [String: String] = [:]
        for p in e.properties {
            switch p.name {
            case GoogleOnlyFields.sharedProperty, GoogleOnlyFields.privateProperty:
                guard let key = p.parameter(GoogleOnlyFields.keyParameter)?.value else { carry(p); continue }
                if p.name == GoogleOnlyFields.sharedProperty { shared[key] = ICalText.unescape(p.value) } else {
                    foreignPrivate[key] = ICalText.unescape(p.value)
                }
            case _ where p.name.utf8.starts(with: GoogleOnlyFields.prefix) && GoogleOnlyFields.propertyNames.contains(p.name): continue
            default: carry(p)
            }
        }
        for (name, params) in e.propertyParameters.sorted(by: { $0.key < $1.key }) {
            carry(Property(name: Marker.parameters, parameters: [Parameter("X-PROPERTY", name)] + params, value: ""))
        }
        if let p = e.priority { carry(Property(name: "PRIORITY", value: String(p))) }
        if !e.categories.isEmpty {
            carry(Property(name: "CATEGORIES", value: e.categories.map(ICalText.escape).joined(separator: ",")))
        }
        let privateDict = Self.privateProperties(carried: carried, residues: residues, foreign: foreignPrivate, besides: shared, diag)
        if !privateDict.isEmpty || !shared.isEmpty {
            var x = GoogleEvent.ExtendedProperties()
            x.private = privateDict.isEmpty ? nil : privateDict
            x.shared = shared.isEmpty ? nil : shared
            g.extendedProperties = x
        }
        // Ids a reader can link by, as Google does (X-GOOGLE-ID from a pulled calendar wins).
        if let uid = e.uid {
            if let original = e.recurrenceID {
                if g.recurringEventId == nil { g.recurringEventId = OfflineEventID.series(uid: uid) }
                if g.id == nil { g.id = OfflineEventID.instance(uid: uid, original: withOffset(original)) }
            } else if g.id == nil {
                g.id = OfflineEventID.series(uid: uid)
            }
        }
        return g
    }

    /// A zoned time with its UTC offset from the tz database when the reader had none.
    private func withOffset(_ t: EventTime) -> EventTime {
        guard case .zoned(let l, let z, nil) = t,
              let offset = ianaName(z, year: l.date.year).flatMap(GoogleTime.zone).map({ GoogleTime.offset($0, at: l) }) else { return t }
        return .zoned(l, tzid: z, utcOffset: offset)
    }

    /// `extendedProperties.private`: the carried lines, then the attendees' residues as grouped
    /// lines, in the carrier's keys, beside the `foreign` entries calport did not write. When
    /// that is over Google's limits together with `shared`, the least valuable carried data is
    /// left out (`Carrier.fit`) and a warning names it; a warning also says when what cannot
    /// be left out is over them still.
    static func privateProperties(carried: [(name: String, rest: String)], residues: [PeopleMapping.Residue],
                                  foreign: [String: String], besides shared: [String: String],
                                  _ diag: (Diagnostic.Severity, String) -> Void) -> [String: String] {
        // The carried lines and residues as `extendedProperties.private`, all of them (`keep`
        // nil) or the items `keep` says (below); the lines go to the carrier as they are made.
        var parts: [(residue: Int, worth: Carrier.Worth)] = []
        // Per residue, the worths it has, one bit each.
        var has: [UInt8] = []
        func encode(_ keep: [Bool]?) -> [String: String] {
            let residueLines: [String]
            if let keep {
                // Per residue, the worths kept, one bit each.
                var kept = [UInt8](repeating: 0, count: residues.count)
                for (k, part) in parts.enumerated() where keep[carried.count + k] { kept[part.residue] |= 1 << UInt8(part.worth.rawValue) }
                residueLines = PeopleMapping.residueLines(residues) { i in
                    kept[i] == 0 ? nil : kept[i] == has[i] ? residues[i].parameterList
                        : residues[i].parameters.filter { kept[i] & (1 << UInt8($0.worth.rawValue)) != 0 }.map(\.parameter)
                }
            } else {
                residueLines = PeopleMapping.residueLines(residues) { residues[$0].parameterList }
            }
            var encoder = Carrier.Encoder(capacity: carried.count + residueLines.count + foreign.count)
            for (k, line) in carried.enumerated() where keep?[k] ?? true { encoder.add(line.name, line.rest) }
            for rest in residueLines { encoder.add(PeopleMapping.residueMarker, rest) }
            encoder.add(foreign: foreign)
            return encoder.entries
        }
        // Most events fit Google's limits: everything is encoded once, and the items that
        // `Carrier.fit` weighs are made only for the few that do not.
        let all = encode(nil)
        var privateDict = all
        var fits = Carrier.fits(all, besides: shared)
        if !fits {
            // What is carried, item by item: each line, and each attendee's residue split by
            // worth (meaning, vendor, spelling), so that the limits drop the least valuable first.
            var items = carried.map { Carrier.Item(worth: GoogleEventMapper.worth(of: $0.name, $0.rest), size: $0.name.utf8.count + $0.rest.utf8.count, what: $0.name) }
            has = [UInt8](repeating: 0, count: residues.count)
            for (i, r) in residues.enumerated() {
                let parameters = r.parameters
                // A residue without parameters restores its address's spelling (`MAILTO:`).
                if parameters.isEmpty { has[i] = 1 << UInt8(Carrier.Worth.meaning.rawValue) }
                for p in parameters { has[i] |= 1 << UInt8(p.worth.rawValue) }
                for worth in [Carrier.Worth.meaning, .vendor, .spelling] where has[i] & (1 << UInt8(worth.rawValue)) != 0 {
                    var size = r.address.utf8.count
                    for p in parameters where p.worth == worth { size += p.parameter.name.utf8.count + p.parameter.value.utf8.count + 2 }
                    parts.append((i, worth))
                    // Named only if it is dropped (below).
                    items.append(Carrier.Item(worth: worth, size: size, what: "", of: r.address))
                }
            }
            let (fitted, dropped) = Carrier.fit(items, besides: shared) { encode($0) }
            privateDict = fitted
            if !dropped.isEmpty {
                for (k, part) in parts.enumerated() {
                    items[carried.count + k].what = PeopleMapping.describe(residues[part.residue], worth: part.worth)
                }
                let total = Carrier.size(all) + Carrier.size(shared)
                diag(.warning, "extendedProperties would be \(total) bytes in \(all.count + shared.count) entries, over Google's limits (\(Carrier.maximumTotalBytes) bytes, \(Carrier.maximumEntries) entries); dropped from the carried data, least valuable first: \(Carrier.describe(dropped.map { items[$0] }))")
            }
            fits = Carrier.fits(privateDict, besides: shared)
        }
        // (Not fitting, it is not empty, or `shared` is not.)
        if !fits {
            let total = Carrier.size(privateDict) + Carrier.size(shared)
            diag(.warning, "extendedProperties would be \(total) bytes in \(privateDict.count + shared.count) entries, over Google's limits (\(Carrier.maximumTotalBytes) bytes, \(Carrier.maximumEntries) entries) with what calport cannot drop; Google may refuse this event")
        }
        return privateDict
    }

    /// How much a carried line is worth keeping when not all fit (`Carrier.Worth`).
    /// `rest` is the line after its name.
    static func worth(of name: String, _ rest: String) -> Carrier.Worth {
        // Most carried lines are other vendors' `X-` properties: told by their first bytes
        // (every name the switch below gives another worth starts `X-CALPORT-` or has no `X-`;
        // an ASCII byte after the `X-` keeps `hasPrefix`'s reading by Characters).
        var bytes = name.utf8.makeIterator()
        if bytes.next() == UInt8(ascii: "X"), bytes.next() == UInt8(ascii: "-") {
            let next = bytes.next()
            if next == nil || (next! < 0x80 && next != UInt8(ascii: "C")) { return .vendor }
        }
        switch name {
        case Marker.floating, "X-CALPORT-RANGE", SeriesShapes.syntheticSeriesMarker, "RECURRENCE-ID": return .essential
        case "DURATION", "COLOR", Marker.parameters: return .spelling
        case "CLASS" where rest == ":PUBLIC": return .spelling
        case _ where name.hasPrefix("X-"): return .vendor
        default: return .meaning
        }
    }

    static func rfc3339(_ t: LocalDateTime) -> String { GoogleTime.dateTime(t, offset: 0) }

    /// Seconds from a start to an end, on the timeline when both name an instant.
    private func seconds(from s: EventTime, to e: EventTime) -> Int {
        (e.instant ?? e.localDateTime.secondsSinceEpoch) - (s.instant ?? s.localDateTime.secondsSinceEpoch)
    }

    /// The length of the event's own occurrences, in seconds.
    private func eventLength(_ e: Event) -> Int? {
        guard let s = e.start, let end = endTime(e) else { return nil }
        return seconds(from: s, to: end)
    }

    /// The length a PERIOD RDATE gives its occurrence, in seconds.
    private func periodLength(_ r: RecurrenceDate) -> Int? {
        switch r {
        case .time: return nil
        case .period(let s, let e): return seconds(from: s, to: e)
        case .periodWithDuration(let s, let d):
            return seconds(from: s, to: GoogleEventMapper.adding(d, to: s, floatingZone: floatingZone, names: ianaName))
        }
    }

    private func endTime(_ e: Event) -> EventTime? {
        guard let start = e.start else { return e.end }
        if let end = e.end { return end }
        if let d = e.duration { return GoogleEventMapper.adding(d, to: start, floatingZone: floatingZone, names: ianaName) }
        return e.effectiveEnd
    }

    /// A time for a recurrence line: Google reads TZIDs there as IANA names, so a custom or
    /// Windows TZID becomes its IANA equivalent, or UTC when it has none.
    func recurrenceTime(_ t: EventTime) -> EventTime {
        guard case .zoned(let l, let z, let off) = t else { return t }
        if TimeZoneNames.ianaName(for: z) == z { return t }
        if let iana = ianaName(z, year: l.date.year) { return .zoned(l, tzid: iana, utcOffset: off) }
        if let off { return .utc(l.adding(seconds: -off)) }
        return t
    }

    func recurrenceDate(_ r: RecurrenceDate) -> RecurrenceDate {
        switch r {
        case .time(let t): return .time(recurrenceTime(t))
        case .period(let s, let e):
            let start = recurrenceTime(s)
            // A PERIOD's start and end share one TZID; a UTC start takes a UTC end.
            if case .utc = start, case .zoned(let l, _, let off?) = e { return .period(start: start, end: .utc(l.adding(seconds: -off))) }
            return .period(start: start, end: recurrenceTime(e))
        case .periodWithDuration(let s, let d): return .periodWithDuration(start: recurrenceTime(s), duration: d)
        }
    }

    /// RFC 5545 3.3.6: weeks and days are nominal (added on the wall clock, so a day across a
    /// DST change is still a calendar day), hours, minutes and seconds exact (added on the
    /// timeline).
    static func adding(_ d: ICalDuration, to start: EventTime, floatingZone: String?,
                       names: (String, Int) -> String? = { t, _ in TimeZoneNames.ianaName(for: t) }) -> EventTime {
        switch start {
        case .date, .utc: return start.adding(d)
        case .zoned(let l, let z, let off):
            let wall = l.adding(seconds: d.nominalDays * 86_400)
            guard let tz = names(z, l.date.year).flatMap(GoogleTime.zone) else {
                return .zoned(wall.adding(seconds: d.exactSeconds), tzid: z, utcOffset: off)
            }
            let instant = wall.secondsSinceEpoch - GoogleTime.offset(tz, at: wall) + d.exactSeconds
            let offset = GoogleTime.offset(tz, atInstant: instant)
            return .zoned(LocalDateTime(secondsSinceEpoch: instant + offset), tzid: z, utcOffset: offset)
        case .floating(let l):
            let wall = l.adding(seconds: d.nominalDays * 86_400)
            guard let tz = floatingZone.flatMap(GoogleTime.zone) else { return .floating(wall.adding(seconds: d.exactSeconds)) }
            let instant = wall.secondsSinceEpoch - GoogleTime.offset(tz, at: wall) + d.exactSeconds
            let offset = GoogleTime.offset(tz, atInstant: instant)
            return .floating(LocalDateTime(secondsSinceEpoch: instant + offset))
        }
    }

    /// UNTIL as Google expects it: a DATE when the series is all-day, else UTC.
    func normalisedRule(_ rule: String, start: EventTime?, _ diag: (Diagnostic.Severity, String) -> Void) -> String {
        var parts = rule.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard let i = parts.firstIndex(where: { $0.uppercased().hasPrefix("UNTIL=") }), let start else { return rule }
        let raw = String(parts[i].dropFirst(6))
        guard let until = EventTime(icalValue: raw, tzid: nil) else { return rule }
        let fixed: String
        switch (start, until) {
        case (.date, .date), (.floating, .floating): return rule
        case (.date, _): fixed = until.localDateTime.date.basicFormat
        case (_, .utc): return rule
        case (_, .date(let d)):
            // An all-day UNTIL on a timed series: through the end of that day in the start's zone.
            let endOfDay = LocalDateTime(date: d, hour: 23, minute: 59, second: 59)
            fixed = utcValue(endOfDay, like: start) ?? rule
        case (.floating, _):
            return rule
        case (_, .floating(let l)), (_, .zoned(let l, _, _)):
            fixed = utcValue(l, like: start) ?? raw
        }
        if fixed != raw {
            parts[i] = "UNTIL=" + fixed
            diag(.note, "RRULE UNTIL \(raw) written as \(fixed), the form Google expects")
        }
        return parts.joined(separator: ";")
    }

    /// A wall time in `start`'s zone, as a UTC iCalendar value.
    private func utcValue(_ l: LocalDateTime, like start: EventTime) -> String? {
        switch start {
        case .zoned(_, let z, let off):
            let zoneOffset = ianaName(z, year: l.date.year).flatMap(GoogleTime.zone).map { GoogleTime.offset($0, at: l) } ?? off
            guard let o = zoneOffset else { return nil }
            return l.adding(seconds: -o).basicFormat + "Z"
        case .utc: return l.basicFormat + "Z"
        default: return nil
        }
    }

    static func rdateLine(_ r: RecurrenceDate) -> String {
        switch r {
        case .time(let t): return Property(name: "RDATE", parameters: t.icalParameters, value: t.icalValue).contentLine
        case .period(let s, let e):
            var params = [Parameter("VALUE", "PERIOD")]
            params += s.icalParameters.filter { $0.name == "TZID" }
            return Property(name: "RDATE", parameters: params, value: s.icalValue + "/" + e.icalValue).contentLine
        case .periodWithDuration(let s, let d):
            var params = [Parameter("VALUE", "PERIOD")]
            params += s.icalParameters.filter { $0.name == "TZID" }
            return Property(name: "RDATE", parameters: params, value: s.icalValue + "/" + d.icalString).contentLine
        }
    }

    func dateTime(_ t: EventTime, recurring: Bool, _ diag: (Diagnostic.Severity, String) -> Void) -> EventDateTime {
        switch t {
        case .date(let d):
            return EventDateTime(date: d.extendedFormat)
        case .utc(let l):
            return EventDateTime(dateTime: GoogleTime.dateTime(l, offset: 0), timeZone: recurring ? "UTC" : nil)
        case .zoned(let l, let tzid, let off):
            var iana = ianaName(tzid, year: l.date.year)
            // The offset the reader resolved (from the input's VTIMEZONE) is the truth;
            // the tz database fills in only when the reader had none.
            let offset = off ?? iana.flatMap(GoogleTime.zone).map { GoogleTime.offset($0, at: l) }
            // Google shows the event at `dateTime`'s offset but expands and edits it in
            // `timeZone`: a zone whose offset there is another would contradict the time.
            func agrees(_ name: String) -> Bool {
                guard let offset, let tz = GoogleTime.zone(name) else { return true }
                return GoogleTime.offset(tz, at: l) == offset
            }
            if let named = iana, !agrees(named) {
                let other = zoneEquivalent?(tzid, l.date.year).flatMap { $0 != named && agrees($0) ? $0 : nil }
                if other == nil, let offset, !recurring {
                    // In UTC, as a series without a zone is below: JSON read back gives a UTC
                    // time, so the conversion is a fixed point.
                    diag(.warning, "TZID \"\(tzid)\": the input gives \(l.extendedFormat) the offset \(GoogleTime.offsetString(offset)), which \(named) does not have then; the time is written in UTC, without a timeZone")
                    return EventDateTime(dateTime: GoogleTime.dateTime(l.adding(seconds: -offset), offset: 0))
                }
                iana = other
            }
            if iana == "UTC", offset == 0 {
                // A TZID that means UTC (`tzone://Microsoft/Utc`) is written as UTC times are,
                // which is also how Google's "UTC" reads back.
                return dateTime(.utc(l), recurring: recurring, diag)
            }
            if let offset {
                if iana == nil && recurring {
                    // Google expands a series in a named zone; a zone that matches none is UTC there.
                    diag(.warning, "TZID \"\(tzid)\" matches no IANA zone; the series is expanded in UTC in Google, so its occurrences after a DST change of that zone move by the change")
                    return EventDateTime(dateTime: GoogleTime.dateTime(l.adding(seconds: -offset), offset: 0), timeZone: "UTC")
                }
                return EventDateTime(dateTime: GoogleTime.dateTime(l, offset: offset), timeZone: iana)
            }
            diag(.error, "TZID \"\(tzid)\" is unknown, so the event's times have no offset and Google will reject them; give --default-tz ZONE to place them in a zone")
            return EventDateTime(dateTime: l.extendedFormat, timeZone: iana)
        case .floating(let l):
            guard let zoneName = floatingZone, let tz = GoogleTime.zone(zoneName) else {
                if let z = floatingZone {
                    diag(.error, "zone \"\(z)\" for floating times is not in the tz database")
                } else {
                    diag(.error, "floating times need a zone: the calendar has no X-WR-TIMEZONE; give --default-tz ZONE")
                }
                return EventDateTime(dateTime: l.extendedFormat)
            }
            return EventDateTime(dateTime: GoogleTime.dateTime(l, offset: GoogleTime.offset(tz, at: l)), timeZone: zoneName)
        }
    }

    // MARK: - Google to model

    public func event(from g: GoogleEvent, report: (Diagnostic) -> Void) -> Event {
        var e = Event()
        let uid = g.iCalUID ?? g.id
        func diag(_ s: Diagnostic.Severity, _ m: String) { report(Diagnostic(s, m, uid: uid)) }
        let (carriedLines, foreign) = options.readsCarrier
            ? Carrier.decode(g.extendedProperties?.private ?? [:]) : ([], g.extendedProperties?.private ?? [:])
        var carried: [(key: String, property: Property)] = []
        carried.reserveCapacity(carriedLines.count)
        for (key, text, read) in carriedLines {
            // A line read in this version's form is its property (for a VALARM too: no
            // parameters, the alarm's lines as its value, as below).
            if let read {
                carried.append((key, read))
                continue
            }
            if key.hasPrefix("VALARM"), text.hasPrefix("VALARM:") {
                // The value is the alarm's own content lines; see AlarmMapping.text.
                carried.append((key, Property(name: "VALARM", value: String(text.dropFirst(7)))))
                continue
            }
            guard let p = Property(contentLine: text) else { continue }
            carried.append((key, p))
        }
        // `take` marks the lines of a name taken (an event carries a few lines: a pass over
        // them costs less than hashing); the rest stay, in order, as the event's own properties.
        var taken = [Bool](repeating: false, count: carried.count)
        func take(_ name: String, _ each: (Property) -> Void) {
            // Lengths first: they are at hand, and tell most names apart without comparing them.
            let length = name.utf8.count
            for i in carried.indices where !taken[i] && carried[i].property.name.utf8.count == length && carried[i].property.name == name {
                taken[i] = true
                each(carried[i].property)
            }
        }
        func take(_ name: String) -> [Property] {
            var found: [Property] = []
            take(name) { found.append($0) }
            return found
        }
        /// `take(name).first`, without the list: most names are taken for their one line.
        func takeFirst(_ name: String) -> Property? {
            var first: Property?
            take(name) { if first == nil { first = $0 } }
            return first
        }
        var extra: [Property] = []
        var offlineSeries: String?

        for field in EventField.allCases {
            switch field {
            case .kind: break
            // Google's own: an event made in Google without an iCalUID has <id>@google.com, and
            // its instances share their series' (recurringEventId).
            case .iCalUID: e.uid = g.iCalUID ?? (g.recurringEventId ?? g.id).map { $0 + "@google.com" }
            case .originalStartTime:
                e.recurrenceID = g.originalStartTime.flatMap { eventTime($0, "originalStartTime", diag) }
                if takeFirst("X-CALPORT-RANGE")?.value.uppercased() == "THISANDFUTURE" { e.recurrenceIDThisAndFuture = true }
                // An override written to Google as a single event (its series was not in the input).
                if let r = takeFirst("RECURRENCE-ID"), e.recurrenceID == nil {
                    e.recurrenceID = EventTime(icalValue: r.value, tzid: r.parameter("TZID")?.value).map(resolved)
                }
            case .start: e.start = g.start.flatMap { eventTime($0, "start", diag) }
            case .end: e.end = g.end.flatMap { eventTime($0, "end", diag) }
            case .recurrence:
                for line in g.recurrence ?? [] { applyRecurrence(line, to: &e, diag) }
                // PERIOD RDATEs written to Google as their starts come back as periods.
                var periods = Event()
                take("RDATE") { p in applyRecurrence(p.contentLine, to: &periods, diag) }
                for r in periods.recurrenceDates {
                    if let i = e.recurrenceDates.firstIndex(of: .time(r.start)) { e.recurrenceDates[i] = r } else {
                        e.recurrenceDates.append(r)
                    }
                }
            case .summary: e.summary = g.summary
            case .description: e.description = g.description
            case .location: e.location = g.location
            case .status:
                e.status = EventValues.status.model(g.status)
                if let s = g.status, e.status == nil { diag(.warning, "unknown status \"\(s)\"") }
            case .transparency:
                e.transparency = EventValues.transparency.model(g.transparency)
                if let t = g.transparency, e.transparency == nil { diag(.warning, "unknown transparency \"\(t)\"") }
            case .visibility:
                e.classification = EventValues.visibility.model(g.visibility)
                if let v = g.visibility, v != "default", e.classification == nil { diag(.warning, "unknown visibility \"\(v)\"") }
                if let c = takeFirst("CLASS") { e.classification = Classification(c.value) }
            case .sequence: e.sequence = g.sequence
            case .created: e.created = g.created.flatMap { utc($0, "created", diag) }
            case .updated: e.lastModified = g.updated.flatMap { utc($0, "updated", diag) }
            case .organizer:
                if let o = g.organizer {
                    e.organizer = PeopleMapping.calendarUser(organizer: o, carried: takeFirst("ORGANIZER"))
                } else if let o = takeFirst("ORGANIZER") {
                    e.organizer = CalendarUser(property: o)
                }
            case .attendees:
                // Whole lines (earlier versions wrote every residue so), and compact residues.
                var residues = take("ATTENDEE")
                var compact = PeopleMapping.residues(take(Marker.attendees))
                e.attendees.reserveCapacity(g.attendees?.count ?? 0)
                // Each address compared in lower case (`PeopleMapping.sameAddress`), on the bytes:
                // no lower-cased String for each address and each attendee.
                for a in g.attendees ?? [] {
                    if let email = a.email, let i = compact.firstIndex(where: { PeopleMapping.isAddress($0.address, ofEmail: email) }) {
                        let r = compact.remove(at: i)
                        e.attendees.append(PeopleMapping.calendarUser(attendee: a, address: r.address, residue: r.parameters))
                        continue
                    }
                    let i = a.email.flatMap { email in residues.firstIndex { PeopleMapping.isAddress($0.value, ofEmail: email) } }
                    let residue = i.map { residues.remove(at: $0) }
                    e.attendees.append(PeopleMapping.calendarUser(attendee: a, carried: residue))
                }
                // Carried attendees Google could not hold (no e-mail address) come back too.
                for r in residues where PeopleMapping.email(of: r.value) == nil {
                    e.attendees.append(CalendarUser(property: r))
                }
            case .reminders:
                var carriedAlarms: [String] = []
                take("VALARM") { carriedAlarms.append($0.value) }
                let (alarms, useDefault) = AlarmMapping.alarms(g.reminders, carried: carriedAlarms, summary: g.summary,
                                                                organizer: g.organizer?.email)
                e.alarms = alarms
                if useDefault { extra.append(Property(name: GoogleOnlyFields.useDefaultReminders, value: "TRUE")) }
            case .source:
                e.url = g.source?.url
                if let t = g.source?.title { extra.append(Property(name: GoogleOnlyFields.sourceTitle, value: ICalText.escape(t))) }
            case .attachments:
                var residues = take("ATTACH")
                for a in g.attachments ?? [] {
                    if let i = residues.firstIndex(where: { $0.value == a.fileUrl }) {
                        e.attachments.append(Attachment(property: residues.remove(at: i)))
                    } else {
                        e.attachments.append(AttachmentMapping.attachment(a))
                    }
                }
                // Inline attachments Google cannot hold.
                for r in residues.map(Attachment.init(property:)) where r.inlineBase64 != nil { e.attachments.append(r) }
            case .colorId:
                if let c = takeFirst("COLOR") { e.color = c.value } else if let id = g.colorId { e.color = Palette.cssName(forColorId: id) }
                // X-GOOGLE-COLOR-ID only when COLOR does not already imply it.
                if let id = g.colorId, e.color.flatMap(Palette.nearestColorId) != id,
                   let p = GoogleOnlyFields.property(for: .colorId, of: g) {
                    extra.append(p)
                }
            case .id, .etag, .htmlLink, .recurringEventId, .hangoutLink, .conferenceData, .gadget, .creator,
                 .anyoneCanAddSelf, .guestsCanInviteOthers, .guestsCanModify, .guestsCanSeeOtherGuests, .privateCopy,
                 .locked, .attendeesOmitted, .endTimeUnspecified, .eventType, .eventLabelId,
                 .workingLocationProperties, .outOfOfficeProperties, .focusTimeProperties, .birthdayProperties:
                // calport's own offline ids are not Google's: they do not become X-GOOGLE-ID.
                if field == .id || field == .recurringEventId, let uid = g.iCalUID,
                   let id = field == .id ? g.id : g.recurringEventId {
                    // One hash of the UID for both fields.
                    let series = offlineSeries ?? OfflineEventID.series(uid: uid)
                    offlineSeries = series
                    if OfflineEventID.isOffline(id, series: series) { break }
                }
                if let p = GoogleOnlyFields.property(for: field, of: g) { extra.append(p) }
            case .extendedProperties:
                for (k, v) in (g.extendedProperties?.shared ?? [:]).sorted(by: { $0.key < $1.key }) {
                    extra.append(Property(name: GoogleOnlyFields.sharedProperty, parameters: [Parameter(GoogleOnlyFields.keyParameter, k)], value: ICalText.escape(v)))
                }
                for (k, v) in foreign.sorted(by: { $0.key < $1.key }) {
                    extra.append(Property(name: GoogleOnlyFields.privateProperty, parameters: [Parameter(GoogleOnlyFields.keyParameter, k)], value: ICalText.escape(v)))
                }
            }
        }

        // Carried iCalendar content.
        if let d = takeFirst("DURATION").flatMap({ ICalDuration(icalString: $0.value) }) {
            e.duration = d
            e.end = nil
        }
        if let p = takeFirst("PRIORITY").flatMap({ Int($0.value) }) { e.priority = p }
        take("CATEGORIES") { c in e.categories += ICalText.splitList(c.value) }
        if takeFirst(Marker.floating) != nil { e.makeFloating(in: floatingZone) }
        take(Marker.parameters) { p in
            guard let name = p.parameter("X-PROPERTY")?.value else { return }
            e.propertyParameters[name] = p.parameters.filter { $0.name != "X-PROPERTY" }
        }
        // The lines left, then the Google-only fields, gathered into one list made at its size.
        var own: [Property] = []
        own.reserveCapacity(taken.count(where: { !$0 }) + extra.count)
        for i in carried.indices where !taken[i] { own.append(carried[i].property) }
        own += extra
        e.properties = own
        return e
    }

    private func utc(_ s: String, _ field: String, _ diag: (Diagnostic.Severity, String) -> Void) -> LocalDateTime? {
        guard let (t, off) = RFC3339.dateTime(s) else {
            diag(.warning, "\(field) \"\(s)\" is not an RFC 3339 date-time")
            return nil
        }
        return t.adding(seconds: -(off ?? 0))
    }

    func eventTime(_ d: EventDateTime, _ field: String, _ diag: (Diagnostic.Severity, String) -> Void) -> EventTime? {
        if let date = d.date {
            guard let v = RFC3339.date(date) else { diag(.error, "\(field).date \"\(date)\" is not YYYY-MM-DD"); return nil }
            return .date(v)
        }
        guard let s = d.dateTime else { diag(.error, "\(field) has neither date nor dateTime"); return nil }
        guard let (local, offset) = RFC3339.dateTime(s) else {
            diag(.error, "\(field).dateTime \"\(s)\" is not an RFC 3339 date-time")
            return nil
        }
        if let zoneName = d.timeZone {
            guard let tz = GoogleTime.zone(zoneName) else {
                diag(.error, "\(field).timeZone \"\(zoneName)\" is not in the tz database")
                return offset.map { .utc(local.adding(seconds: -$0)) } ?? .floating(local)
            }
            if zoneName == "UTC" || zoneName == "Etc/UTC", offset == nil || offset == 0 { return .utc(local) }
            if let offset {
                // Google writes dateTime in the calendar's offset; re-express it in the event's zone.
                let instant = local.secondsSinceEpoch - offset
                let zoneOffset = tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
                return .zoned(LocalDateTime(secondsSinceEpoch: instant + zoneOffset), tzid: zoneName, utcOffset: zoneOffset)
            }
            return .zoned(local, tzid: zoneName, utcOffset: GoogleTime.offset(tz, at: local))
        }
        if let offset { return .utc(local.adding(seconds: -offset)) }
        if let z = floatingZone, let tz = GoogleTime.zone(z) {
            return .zoned(local, tzid: z, utcOffset: GoogleTime.offset(tz, at: local))
        }
        diag(.warning, "\(field).dateTime \"\(s)\" has no offset and no timeZone; kept as a floating time")
        return .floating(local)
    }

    private func applyRecurrence(_ line: String, to e: inout Event, _ diag: (Diagnostic.Severity, String) -> Void) {
        guard let p = Property(contentLine: line) else {
            diag(.error, "recurrence line \"\(line)\" is not an iCalendar content line")
            return
        }
        let tzid = p.parameter("TZID")?.value
        func times(_ value: String) -> [EventTime] {
            value.split(separator: ",").compactMap { v in
                guard let t = EventTime(icalValue: String(v), tzid: tzid) else {
                    diag(.error, "\(p.name) value \"\(v)\" is not a DATE or DATE-TIME")
                    return nil
                }
                return resolved(t)
            }
        }
        switch p.name {
        case "RRULE": e.recurrenceRules.append(p.value)
        case "EXRULE": e.exceptionRules.append(p.value)
        case "EXDATE": e.exceptionDates += times(p.value)
        case "RDATE":
            if p.parameter("VALUE")?.value.uppercased() == "PERIOD" {
                for v in p.value.split(separator: ",") {
                    let parts = v.split(separator: "/")
                    guard parts.count == 2, let s = EventTime(icalValue: String(parts[0]), tzid: tzid) else {
                        diag(.error, "RDATE period \"\(v)\" is malformed")
                        continue
                    }
                    if let end = EventTime(icalValue: String(parts[1]), tzid: tzid) {
                        e.recurrenceDates.append(.period(start: resolved(s), end: resolved(end)))
                    } else if let d = ICalDuration(icalString: String(parts[1])) {
                        e.recurrenceDates.append(.periodWithDuration(start: resolved(s), duration: d))
                    } else {
                        diag(.error, "RDATE period \"\(v)\" is malformed")
                    }
                }
            } else {
                e.recurrenceDates += times(p.value).map { .time($0) }
            }
        default:
            diag(.warning, "recurrence line \(p.name) is not RRULE, EXRULE, RDATE or EXDATE; ignored")
        }
    }

    /// Fills in the UTC offset of a zoned time from the tz database.
    private func resolved(_ t: EventTime) -> EventTime {
        if case .zoned(let l, let z, nil) = t, let iana = TimeZoneNames.ianaName(for: z), let tz = GoogleTime.zone(iana) {
            return .zoned(l, tzid: z, utcOffset: GoogleTime.offset(tz, at: l))
        }
        return t
    }
}

extension Event {
    /// Turns times placed in `zone` back into floating times (undoing what the mapping to
    /// Google did for a calendar whose events were floating).
    mutating func makeFloating(in zone: String?) {
        func f(_ t: EventTime?) -> EventTime? {
            guard let t else { return nil }
            switch t {
            case .zoned(let l, let z, _) where zone == nil || z == zone: return .floating(l)
            default: return t
            }
        }
        start = f(start)
        end = f(end)
        recurrenceID = f(recurrenceID)
        exceptionDates = exceptionDates.map { f($0)! }
    }
}
