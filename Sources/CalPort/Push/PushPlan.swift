import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// How events reach Google.
public enum PushMode: String, Sendable, Codable, CaseIterable {
    /// events.import: keeps the organizer and the iCalUID and never sends mail (Google's advice
    /// for migrations).
    case `import`
    /// events.insert with ids derived from UID and RECURRENCE-ID: the calendar becomes the
    /// organizer, and Google emails attendees when `--send-updates` says so.
    case insert
}

/// What to do with events the calendar already has.
public enum OnExisting: String, Sendable, Codable, CaseIterable {
    /// Update those whose content differs; leave the rest.
    case update
    /// Leave every existing event as it is.
    case skip
}

/// Whom Google emails in insert mode.
public enum NotifyScope: String, Sendable, Codable, CaseIterable {
    case none, external, all

    public var sendUpdates: SendUpdates {
        switch self {
        case .none: .none
        case .external: .externalOnly
        case .all: .all
        }
    }
}

/// What reminders a new event gets (`--reminders`).
public enum PushReminders: String, Sendable, Codable, CaseIterable {
    /// The source's alarms, as Google can hold them; no alarm, no reminder.
    case source
    /// The calendar's default reminders (`useDefault: true`).
    case `default`
    /// No reminder (`useDefault: false`, no overrides).
    case none
}

public struct PushOptions: Sendable {
    public var calendarId: String
    public var mode: PushMode
    public var sendUpdates: NotifyScope
    public var onExisting: OnExisting
    public var dryRun: Bool
    /// Calls per multipart batch request; 1 sends each call as a request of its own.
    public var batchSize: Int
    /// Requests in flight at once.
    public var concurrency: Int
    /// What new events get as reminders. Existing events keep the reminders set in Google,
    /// unless the source decides them (`sourceDecidesReminders`).
    public var reminders: PushReminders = .source
    /// Push no attendees and no organizer (`PushInput.load` leaves them out): the calendar
    /// organizes, and no call asks Google to email anyone.
    public var stripAttendees = false

    /// 50 calls per batch and 4 batches in flight: measured against the fake with 50 ms
    /// latency (bench/push.sh), larger batches gain little while a rate-limited batch costs
    /// more to retry. See README, "calport push".
    public static let defaultBatchSize = 50
    public static let defaultConcurrency = 4

    public init(calendarId: String, mode: PushMode = .import, sendUpdates: NotifyScope = .none, onExisting: OnExisting = .update,
                dryRun: Bool = false, batchSize: Int = PushOptions.defaultBatchSize, concurrency: Int = PushOptions.defaultConcurrency) {
        self.calendarId = calendarId
        self.mode = mode
        self.sendUpdates = sendUpdates
        self.onExisting = onExisting
        self.dryRun = dryRun
        self.batchSize = batchSize
        self.concurrency = concurrency
    }

    /// The sendUpdates sent with insert, update and the like: import never mails, and an
    /// update of an imported event must not either; without attendees nobody is mailed.
    var sendUpdatesValue: SendUpdates { mode == .import || stripAttendees ? .none : sendUpdates.sendUpdates }

    /// Whether the source decides the reminders of an event Google already has: with
    /// `--reminders source`, when the source has an alarm Google can hold (or asks for the
    /// calendar's defaults, as a file pulled from Google does). Otherwise the reminders are
    /// the user's in Google: not compared, and kept by an update.
    func sourceDecidesReminders(_ wanted: GoogleEvent) -> Bool {
        reminders == .source && (wanted.reminders?.useDefault == true || wanted.reminders?.overrides?.isEmpty == false)
    }

    /// The reminders of a new event made from `wanted`.
    func newReminders(_ wanted: GoogleEvent) -> GoogleEvent.Reminders? {
        var r = GoogleEvent.Reminders()
        switch reminders {
        case .source: return wanted.reminders
        case .default: r.useDefault = true
        case .none: r.useDefault = false
        }
        return r
    }
}

/// What the plan does with one event.
public enum PushAction: String, Sendable, Codable, CaseIterable {
    case create, update, unchanged, skip, reject
}

public struct PushPlanEntry: Sendable {
    public var key: EventKey
    /// Index into `PushInput.items`; nil for events refused while reading.
    public var item: Int?
    public var action: PushAction
    /// Why: the reject reason, what makes a skip, or "revive" for a cancelled event brought back.
    public var reason: String?
    /// The fields that differ, for updates (and skips).
    public var changes: [String] = []
    /// The Google id of the existing event (update), or the chosen id (insert-mode create).
    public var eventId: String?
    /// The event is cancelled in Google and the update brings it back.
    public var revive = false
    /// An override or a cancelled occurrence of a series: sent after the series.
    public var isException = false
    /// The Google id of the series, when Google already has it.
    public var seriesId: String?
    /// What is sent (create and update), while the planner makes the entry; the plan then
    /// keeps it sealed with the others (`PushPlan.body(of:)`).
    public var body: GoogleEvent? {
        get { sent?.value }
        set { sent = newValue.map(Boxed.init) }
    }
    /// Boxed: unchanged, skipped and rejected entries have none, and a `GoogleEvent?` is as
    /// large as a `GoogleEvent` even when nil.
    private var sent: Boxed<GoogleEvent>?
    /// Where `PushPlan.bodies` keeps the body.
    var bodySlot: Int?
    /// Addresses Google would email about this change (insert mode with --send-updates).
    public var recipients: [String] = []
    /// The input line of an event refused while reading.
    public var line: Int?

    init(key: EventKey, item: Int? = nil, action: PushAction, reason: String? = nil, isException: Bool = false) {
        self.key = key
        self.item = item
        self.action = action
        self.reason = reason
        self.isException = isException
    }
}

/// The plan of a push: one entry per input event, in input order (series before their
/// exceptions when applied).
public struct PushPlan: Sendable {
    public var entries: [PushPlanEntry]
    public var ownerEmail: String?
    /// The entries' bodies as their JSON in zlib blocks, in plan order: a real push of 100,000
    /// events held a decoded `GoogleEvent` for each until it was sent (about 200 MB).
    var bodies = CompactGoogleEvents(sealing: .zlib)

    public init(entries: [PushPlanEntry], ownerEmail: String?) {
        self.entries = entries
        self.ownerEmail = ownerEmail
    }

    /// What entry `i` sends (create and update).
    public func body(of i: Int) -> GoogleEvent? { entries[i].body ?? entries[i].bodySlot.map { bodies[$0] } }

    /// Moves `entry`'s body into `bodies`.
    mutating func seal(_ entry: inout PushPlanEntry) {
        guard let body = entry.body else { return }
        entry.bodySlot = bodies.count
        bodies.append(body)
        entry.body = nil
    }

    public func count(_ a: PushAction) -> Int { entries.lazy.filter { $0.action == a }.count }

    /// Addresses that would be emailed, by domain (one per message: an address emailed about
    /// two events counts twice).
    public var notificationsByDomain: [String: Int] {
        var out: [String: Int] = [:]
        for e in entries where e.action == .create || e.action == .update {
            for r in e.recipients { out[Self.domain(r), default: 0] += 1 }
        }
        return out
    }

    public var notificationCount: Int { notificationsByDomain.values.reduce(0, +) }
    public var distinctRecipients: Int {
        Set(entries.filter { $0.action == .create || $0.action == .update }.flatMap(\.recipients)).count
    }

    static func domain(_ address: String) -> String {
        address.split(separator: "@").last.map { $0.lowercased() } ?? address
    }
}

/// What the calendar holds, indexed the ways a push looks things up. The events are held as
/// their JSON in zlib blocks (`CompactGoogleEvents`) and decoded when looked up: a re-run lists
/// as many events as it pushes, and 100,000 decoded events took about 250 MB where their JSON
/// takes 138 MB, and compressed 34 (heaptrack, BENCHMARKS.md). What the indexes need of each event is taken as it
/// is added.
struct ExistingIndex {
    private var events = CompactGoogleEvents(sealing: .zlib)
    /// What identifies each listed event, by position.
    private var listed: [Listed] = []
    private var keyed: [EventKey: Int] = [:]
    private var identified: [String: Int] = [:]
    /// Live series (recurring masters) by UID: their ids, for exceptions.
    private(set) var seriesIdByUID: [String: String] = [:]
    /// Occurrences deleted in Google (cancelled instances), by the UID of their series.
    private(set) var cancelledInstances: [String: [EventKey]] = [:]
    var count: Int { events.count }

    /// What the indexes read of a listed event.
    private struct Listed {
        var id: String?
        /// From its iCalUID and original start; nil for a tombstone (listed without iCalUID).
        var key: EventKey?
        var cancelled: Bool
        /// A recurring master (no original start, a recurrence).
        var isSeries: Bool
        /// The iCalUID of an event listed with one but no key (an original start that cannot be
        /// read); a tombstone's series id and original start, to find its key from its series.
        var iCalUID: String?
        var seriesId: String?
        var originalStamp: String?
    }

    init() {}

    /// Adds one listed event (call `index(known:)` when all are added).
    mutating func add(_ g: GoogleEvent) {
        let key = EventKey(g)
        listed.append(Listed(id: g.id, key: key, cancelled: g.status == "cancelled",
                             isSeries: g.originalStartTime == nil && g.recurrence?.isEmpty == false,
                             iCalUID: key == nil ? g.iCalUID : nil, seriesId: key == nil ? g.recurringEventId : nil,
                             originalStamp: key == nil ? g.originalStartTime.flatMap(EventKey.stamp) : nil))
        events.append(g)
    }

    /// Builds the indexes from the events added. `known`: the event calport created or updated
    /// in this calendar under a Google id (from the journal), so that tombstones, which Google
    /// lists without iCalUID, can be recognised; asked only about those.
    mutating func index(known: (String) throws -> EventKey?) rethrows {
        keyed = [:]
        identified = [:]
        seriesIdByUID = [:]
        cancelledInstances = [:]
        var uidById: [String: String] = [:]
        for (i, l) in listed.enumerated() {
            guard let id = l.id else { continue }
            identified[id] = i
            if let uid = l.key?.uid ?? l.iCalUID { uidById[id] = uid }
        }
        // A series' UID: as listed, else as the journal knows the series (asked once per series).
        var journalSeries: [String: String?] = [:]
        func seriesUID(_ id: String) throws -> String? {
            if let uid = uidById[id] { return uid }
            if let asked = journalSeries[id] { return asked }
            let k = try known(id)
            let uid = k?.instance == nil ? k?.uid : nil
            journalSeries[id] = .some(uid)
            return uid
        }
        for (i, l) in listed.enumerated() {
            var key = l.key
            if key == nil, let id = l.id {
                if let master = l.seriesId, let stamp = l.originalStamp, let uid = try seriesUID(master) {
                    key = EventKey(uid: uid, instance: stamp)
                } else if let k = try known(id) {
                    key = k
                }
            }
            guard let key else { continue }
            // Duplicates (from other tools): a live event wins over a cancelled one.
            if let other = keyed[key], !listed[other].cancelled, l.cancelled { continue }
            keyed[key] = i
            if !l.cancelled, l.isSeries, let id = l.id { seriesIdByUID[key.uid] = id }
        }
        for (key, i) in keyed where key.isInstance && listed[i].cancelled { cancelledInstances[key.uid, default: []].append(key) }
    }

    /// The event listed under `key` (its iCalUID and original start, or what the journal knows).
    func byKey(_ key: EventKey) -> GoogleEvent? { keyed[key].map { events[$0] } }
    /// The event with the Google id `id` (the last listed, when Google listed it twice).
    func byId(_ id: String) -> GoogleEvent? { identified[id].map { events[$0] } }
    /// Whether the event with the Google id `id` is deleted (cancelled); nil when it is not listed.
    func isCancelled(id: String) -> Bool? { identified[id].map { listed[$0].cancelled } }
}

/// Decides, for every input event, create / update / unchanged / skip / reject.
struct PushPlanner {
    var options: PushOptions
    /// The calendar owner's address (the calendar id for `primary`), to leave out of the
    /// recipients count.
    var ownerEmail: String?

    func plan(_ input: PushInput, existing: ExistingIndex) -> PushPlan {
        var plan = PushPlan(entries: [], ownerEmail: ownerEmail)
        var entries: [PushPlanEntry] = []
        entries.reserveCapacity(input.items.count + input.rejects.count)
        // Series the plan sends or already has: UID -> entry index.
        var seriesEntry: [String: Int] = [:]
        var singlesFromOrphans: Set<String> = []
        var cancelledSeries: Set<String> = []
        // The series (by entry) as far as `recipients` reads them for their exceptions: their
        // attendees (their bodies are sealed as they are planned).
        var seriesAttendees: [Int: GoogleEvent] = [:]
        let countsRecipients = options.mode == .insert && options.sendUpdates != .none
        let inputKeys = Set(input.items.map(\.key))
        // Series and single events first, then the exceptions; positions are sorted, not the
        // items (a sorted copy of every item was the plan's largest allocation).
        let items = input.items
        let ordered = items.indices.sorted { (items[$0].key.isInstance ? 1 : 0, items[$0].index) < (items[$1].key.isInstance ? 1 : 0, items[$1].index) }
        for position in ordered {
            let item = items[position]
            var wanted = item.google
            var key = item.key
            var isException = key.isInstance
            if item.orphan {
                if existing.seriesIdByUID[key.uid] == nil, let single = item.asSingle {
                    guard singlesFromOrphans.insert(key.uid).inserted else {
                        entries.append(PushPlanEntry(key: key, item: item.index, action: .reject,
                                                     reason: "another override of this series, which is not in the input, is already pushed as a single event"))
                        continue
                    }
                    wanted = single
                    key = key.series
                    isException = false
                }
            }
            var entry = PushPlanEntry(key: key, item: item.index, action: .create, isException: isException)
            if isException {
                if wanted.status != "cancelled", cancelledSeries.contains(key.uid) {
                    entry.action = .reject
                    entry.reason = "its series is cancelled (STATUS:CANCELLED) and Google cancels every occurrence of a cancelled series; "
                        + "cancel this occurrence too, or un-cancel the series"
                    entries.append(entry)
                    continue
                }
                if let s = seriesEntry[key.uid], entries[s].action == .reject {
                    entry.action = .reject
                    entry.reason = "its series could not be pushed"
                    entries.append(entry)
                    continue
                }
                entry.seriesId = existing.seriesIdByUID[key.uid]
                    ?? seriesEntry[key.uid].flatMap { entries[$0].action == .create ? nil : entries[$0].eventId }
                if entry.seriesId == nil && seriesEntry[key.uid] == nil {
                    entry.action = .reject
                    entry.reason = "Google has no live series with this UID to attach the occurrence to"
                    entries.append(entry)
                    continue
                }
            }
            var found = existing.byKey(key)
            if found == nil, options.mode == .insert, !isException {
                found = existing.byId(StableEventID.make(calendarId: options.calendarId, key: key))
            }
            if let found {
                entry.eventId = found.id
                if found.status == "cancelled" && wanted.status != "cancelled" {
                    revive(&entry, what: "event")
                } else {
                    let changes = found.status == "cancelled" ? []
                        : GoogleEventDiff(comparesReminders: options.sourceDecidesReminders(wanted))
                            .differences(wanted: wanted, existing: found).map(\.rawValue)
                    entry.changes = changes
                    if changes.isEmpty {
                        entry.action = .unchanged
                    } else if options.onExisting == .skip {
                        entry.action = .skip
                        entry.reason = "differs in " + changes.joined(separator: ", ") + " (--on-existing skip)"
                    } else {
                        entry.action = .update
                    }
                }
                if entry.action == .update { entry.body = updateBody(wanted, existing: found) }
            } else {
                entry.action = .create
                entry.body = createBody(wanted, key: key, isException: isException)
                if options.mode == .insert && !isException { entry.eventId = entry.body?.id }
            }
            if !isException {
                seriesEntry[key.uid] = entries.count
                if wanted.status == "cancelled" { cancelledSeries.insert(key.uid) }
            }
            if entry.action == .create || entry.action == .update {
                entry.recipients = recipients(entry.body ?? wanted, series: isException ? seriesEntry[key.uid].flatMap { seriesAttendees[$0] } : nil)
            }
            if !isException, countsRecipients, let people = entry.body?.attendees {
                var attendees = GoogleEvent()
                attendees.attendees = people
                seriesAttendees[entries.count] = attendees
            }
            // Nothing is sent in a dry run: the bodies are not kept (for a large input they were
            // most of the plan). Else they are sealed.
            if options.dryRun { entry.body = nil } else { plan.seal(&entry) }
            entries.append(entry)
            // Occurrences of this series deleted in Google that the source still has come back.
            if !isException, let found, entry.action != .reject, wanted.status != "cancelled", wanted.recurrence?.isEmpty == false,
               let gone = existing.cancelledInstances[key.uid]?.filter({ !inputKeys.contains($0) }), !gone.isEmpty {
                for var restore in restores(gone, of: item, series: found, input: input, existing: existing) {
                    if options.dryRun { restore.body = nil } else { plan.seal(&restore) }
                    entries.append(restore)
                }
            }
        }
        for (event, line, reason) in input.rejects {
            var entry = PushPlanEntry(key: EventKey(uid: event.uid ?? "(no UID)", instance: event.recurrenceID.map { $0.icalValue }),
                                      item: nil, action: .reject, reason: reason)
            entry.line = line
            entries.append(entry)
        }
        plan.entries = entries
        return plan
    }

    /// Updates that bring back the occurrences `keys` of `item`'s series, deleted in Google
    /// (cancelled instances), where the source's series has them: each becomes the occurrence
    /// the series gives at that time, with the series' answers and reminders from Google.
    /// Cancelled instances the source's series does not produce (an EXDATE, a rule changed
    /// since) stay deleted.
    func restores(_ keys: [EventKey], of item: PushItem, series: GoogleEvent, input: PushInput, existing: ExistingIndex) -> [PushPlanEntry] {
        let occurrences = input.occurrences(of: item, at: Set(keys.compactMap(\.instance)))
        var out: [PushPlanEntry] = []
        for key in keys.sorted() {
            guard let stamp = key.instance, let occurrence = occurrences[stamp], let id = existing.byKey(key)?.id else { continue }
            var entry = PushPlanEntry(key: key, item: item.index, action: .update, isException: true)
            entry.eventId = id
            entry.seriesId = series.id
            revive(&entry, what: "occurrence")
            if entry.action == .update {
                var body = updateBody(occurrence, existing: series)
                body.status = "confirmed"
                // The instance's own sequence is not listed (a bare tombstone): Google keeps it.
                body.sequence = nil
                entry.body = body
                entry.recipients = recipients(body, series: nil)
            }
            out.append(entry)
        }
        return out
    }

    /// An event or occurrence deleted in Google that the source still has: brought back (an
    /// update to confirmed), unless `--on-existing skip` leaves existing events alone.
    func revive(_ entry: inout PushPlanEntry, what: String) {
        entry.changes = ["status"]
        entry.revive = true
        if options.onExisting == .skip {
            entry.action = .skip
            entry.reason = "\(what) deleted in Google (--on-existing skip)"
        } else {
            entry.action = .update
            entry.reason = "revive: the \(what) was deleted in Google"
        }
    }

    /// Fields Google sets itself or keeps after creation.
    static func strip(_ g: inout GoogleEvent) {
        g.kind = nil
        g.etag = nil
        g.created = nil
        g.updated = nil
        g.creator = nil
        g.htmlLink = nil
        g.hangoutLink = nil
    }

    func createBody(_ wanted: GoogleEvent, key: EventKey, isException: Bool) -> GoogleEvent {
        var g = wanted
        Self.strip(&g)
        g.iCalUID = key.uid
        g.reminders = options.newReminders(wanted)
        if options.mode == .insert {
            if !isException { g.id = StableEventID.make(calendarId: options.calendarId, key: key) }
            // insert makes the calendar the organizer; the source's organizer is not writable.
            g.organizer = nil
        }
        return g
    }

    func updateBody(_ wanted: GoogleEvent, existing: GoogleEvent) -> GoogleEvent {
        var g = wanted
        Self.strip(&g)
        // Read-only after creation: Google keeps its values.
        g.id = nil
        g.iCalUID = nil
        g.organizer = nil
        g.recurringEventId = nil
        g.originalStartTime = nil
        // Google refuses a sequence below its own; unknown (a tombstone): keep Google's.
        if let want = wanted.sequence, let have = existing.sequence, want > have { g.sequence = want } else { g.sequence = nil }
        // Answers are Google's; so are reminders the source does not decide (a deleted event
        // listed bare has none to keep: it gets what a new one would).
        g.attendees = Self.keepingReplies(g.attendees, from: existing.attendees)
        if !options.sourceDecidesReminders(wanted) { g.reminders = existing.reminders ?? options.newReminders(wanted) }
        return g
    }

    /// `wanted`'s attendees with the answers `existing` holds for the same addresses (compared
    /// without case), so that an update does not reset what guests replied in Google. Attendees
    /// new in the source come with the source's answer; those the source dropped are dropped.
    static func keepingReplies(_ wanted: [GoogleEvent.Attendee]?, from existing: [GoogleEvent.Attendee]?) -> [GoogleEvent.Attendee]? {
        guard var list = wanted, let existing, !existing.isEmpty else { return wanted }
        var answers: [String: GoogleEvent.Attendee] = [:]
        for a in existing { if let email = a.email?.lowercased() { answers[email] = a } }
        for i in list.indices {
            guard let email = list[i].email?.lowercased(), let had = answers[email] else { continue }
            list[i].responseStatus = had.responseStatus
            list[i].comment = had.comment
            list[i].additionalGuests = had.additionalGuests
        }
        return list
    }

    /// Who Google may email: in insert mode with --send-updates all or external, the attendees
    /// other than the calendar's owner. For external, Google itself picks those who are not
    /// Google Calendar users (sendUpdates=externalOnly), which calport cannot know: every guest
    /// is counted, so the number is an upper bound and the confirmation is never skipped.
    func recipients(_ body: GoogleEvent, series: GoogleEvent?) -> [String] {
        guard options.mode == .insert, options.sendUpdates != .none else { return [] }
        let people = (body.attendees?.isEmpty == false ? body.attendees : series?.attendees) ?? []
        let owner = ownerEmail?.lowercased()
        return people.compactMap { a -> String? in
            guard let email = a.email?.lowercased(), email != owner, a.`self` != true else { return nil }
            return email
        }
    }
}
