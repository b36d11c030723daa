import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar
import ICalendar
import SystemSupport

/// The settings of one `calport sync`.
public struct SyncOptions: Sendable {
    public var calendarId: String
    /// Who the Google side belongs to (the profile): part of the pair's identity.
    public var account: String
    public var conflict: ConflictPolicy = .merge
    public var deletionLimit = DeletionLimit()
    public var dryRun = false
    public var mapping = MappingOptions()
    /// The local calendar's zone, for floating times (Google's calendar zone when nil).
    public var timeZone: String?

    public init(calendarId: String, account: String) {
        self.calendarId = calendarId
        self.account = account
    }
}

/// What a sync did (or, for a dry run, would do).
public struct SyncReport: Sendable, Codable {
    public var plan = SyncPlanSummary()
    /// Writes that failed, by UID: the event stays as it was on both sides and is tried again.
    public var failed: [String: String] = [:]
    public var firstSync = false
    /// The sync token had expired: Google was listed whole and compared with the state.
    public var recoveredFromExpiredToken = false
    /// An earlier run was cut short; this run finished it.
    public var resumedInterrupted = false
    /// The local file changed while this run worked: nothing was written to it.
    public var localWriteAbandoned: String?
    public var dryRun = false
    /// Requests sent to Google, and the run's wall time.
    public var requests = 0
    public var seconds = 0.0

    /// 0 done; 3 when conflicts, failures or unreadable entries remain.
    public var outcome: Outcome {
        failed.isEmpty && plan.conflicts.isEmpty && plan.unknown.isEmpty && localWriteAbandoned == nil ? .success : .partial
    }
}

/// Two-way sync of a local calendar (a folder of .ics files, an .ics file) with a Google
/// calendar. One run: list both sides (Google by its sync token), decide per UID against the
/// state (`SyncDecider`), refuse when the deletions look like an accident, write Google (series
/// first, then their overrides), write the local side, commit, then save the state and, last,
/// the token.
public final class SyncEngine<Local: CalendarStore, Remote: CalendarStore>: @unchecked Sendable
where Local.Item == CalendarObject, Remote.Item == GoogleEvent {
    let local: Local
    let remote: Remote
    let state: SyncState
    let options: SyncOptions
    let localIdentity: String
    let progress: ProgressReporter?

    init(local: Local, remote: Remote, state: SyncState, options: SyncOptions, localIdentity: String,
         progress: ProgressReporter? = nil) {
        self.local = local
        self.remote = remote
        self.state = state
        self.options = options
        self.localIdentity = localIdentity
        self.progress = progress
    }

    func note(_ s: String) { progress?.note(s) }

    /// Writes planned so far, for the progress bar (each phase adds its own).
    private var plannedWrites = 0
    private let plannedLock = Lock()

    func expectWrites(_ n: Int) {
        guard n > 0, let progress else { return }
        progress.setTotal(plannedLock.withLock { plannedWrites += n; return plannedWrites })
    }

    /// Advances the bar by one write as each outcome comes.
    var advance: (@Sendable (Int, StoreOutcome<GoogleEvent>) -> Void)? {
        guard let progress else { return nil }
        return { _, _ in progress.advance() }
    }

    var advanceLocal: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)? {
        guard let progress else { return nil }
        return { _, _ in progress.advance() }
    }

    /// One UID during a run.
    struct Unit {
        var uid: String
        var record: SyncState.Record?
        var localEntry: StoreEntry<CalendarObject>?
        var localUnknown: String?
        /// Google's events of the UID now (the record's, updated by the listing).
        var google: [GoogleEvent]
        var googleTouched: Bool
        var decision: SyncDecision = .none
    }

    public func run() async throws -> SyncReport {
        var report = SyncReport()
        report.dryRun = options.dryRun
        try checkIdentity()
        let queued = try state.queuedDeletions()
        if !queued.isEmpty {
            throw Failure(message: "a reset still has \(queued.count) Google deletions to make for \(local.location)",
                          advice: "run the same `calport sync reset` again to finish them, then sync", outcome: .refused)
        }
        report.resumedInterrupted = try state.unfinishedOperations > 0
        if report.resumedInterrupted { note("an earlier sync was interrupted; this run finishes it") }
        let records = try state.records()
        let nextMode = try state.meta("next")
        report.firstSync = records.isEmpty || nextMode == "all"

        // 1. Both sides.
        let localListing = try await local.list(since: nil)
        note("\(local.location): \(localListing.entries.count) events" + (localListing.unreadable.isEmpty ? "" : ", \(localListing.unreadable.count) unreadable"))
        var token = report.firstSync ? nil : try state.syncToken
        var googleListing: StoreListing<GoogleEvent>
        do {
            googleListing = try await remote.list(since: token)
        } catch StoreError.tokenExpired {
            note("Google no longer accepts the sync token (410): listing the calendar whole and comparing with the state")
            report.recoveredFromExpiredToken = true
            token = nil
            googleListing = try await remote.list(since: nil)
        }
        var units = gather(localListing: localListing, googleListing: googleListing, records: records)
        // Unreadable entries no UID is known for (a new file that does not parse, an event
        // without UID) are reported all the same: they are on neither side until fixed.
        let reported = Set(units.values.compactMap(\.localUnknown))
        for bad in localListing.unreadable where !reported.contains(bad.message) { report.plan.unknown[bad.id] = bad.message }

        // `sync reset --next new`: what exists now stays out of sync.
        if nextMode == "new" {
            var excluded: [SyncState.Record] = []
            for u in units.values {
                var r = u.record ?? SyncState.Record(uid: u.uid)
                r.excluded = true
                r.google = u.google
                r.localId = u.localEntry?.id ?? r.localId
                r.localVersion = u.localEntry?.version ?? r.localVersion
                excluded.append(r)
            }
            report.plan.linked = []
            if !options.dryRun {
                try state.save(excluded)
                try state.setMeta("next", nil)
                try state.setSyncToken(googleListing.nextToken)
                try state.setIdentity(currentIdentity)
            }
            note("\(excluded.count) existing events left out of sync; events created from now on travel")
            return report
        }

        // 2. Decide.
        var mapper = GoogleEventMapper(options: options.mapping, calendarTimeZone: googleListing.info.timeZone ?? options.timeZone)
        var utcOffset: @Sendable (String, LocalDateTime) -> Int? = { TimeZoneNames.utcOffset(tzid: $0, at: $1) }
        if let zones = local as? ZoneDefiningStore {
            // Zones the local files define by rules (Outlook's "Canberra, Melbourne, Sydney")
            // go to Google under the IANA name they stand for, as push sends them.
            let equivalents = ZoneEquivalents(zones.zoneDefinitions)
            mapper.zoneEquivalent = { tzid, year in equivalents.iana(tzid, year: year) }
            utcOffset = { tzid, local in equivalents.utcOffset(tzid, at: local) }
        }
        let normal = SyncNormalForm(mapper: mapper, calendarId: options.calendarId, utcOffset: utcOffset)
        let decider = SyncDecider(policy: options.conflict)
        var sides: [String: (local: SyncSideState, google: SyncSideState)] = [:]
        for uid in units.keys.sorted() {
            var u = units[uid]!
            let l = localSide(u, normal)
            let g = googleSide(u, normal)
            sides[uid] = (l, g)
            u.decision = decider.decide(record: u.record, local: l, google: g,
                                        localModified: Self.localModified(u.localEntry?.item),
                                        googleModified: Self.googleModified(u.google))
            units[uid] = u
            switch u.decision {
            case .none: break
            case .link: report.plan.linked.append(uid)
            case .put(let l, let g):
                if l != nil { if u.localEntry == nil { report.plan.local.create.append(uid) } else { report.plan.local.update.append(uid) } }
                if let g {
                    if u.google.contains(where: { $0.status != "cancelled" }) { report.plan.google.update.append(uid) } else { report.plan.google.create.append(uid) }
                    for e in g { report.plan.countGuests(e.event.attendees, organizer: e.event.organizer?.email) }
                }
            case .delete(.local): report.plan.local.delete.append(uid)
            case .delete(.google):
                report.plan.google.delete.append(uid)
                for e in sides[uid]?.google.events ?? [] { report.plan.countGuests(e.event.attendees, organizer: e.event.organizer?.email) }
            case .forget: break
            case .conflict(let fields): report.plan.conflicts[uid] = fields
            case .unknown(let why): report.plan.unknown[uid] = why
            }
        }

        // 3. Refuse what looks like an accident, before anything is written.
        try checkDeletions(report.plan, records: records, units: units, localListing: localListing)
        if options.dryRun { return report }

        try state.plan(units.values.compactMap { u -> [(uid: String, side: String, operation: String)]? in
            switch u.decision {
            case .put(let l, let g):
                return (l != nil ? [(u.uid, "local", "put")] : []) + (g != nil ? [(u.uid, "google", "put")] : [])
            case .delete(let side): return [(u.uid, side.rawValue, "delete")]
            default: return nil
            }
        }.flatMap { $0 })

        // 4. Google: series, single events and deletions first, then overrides (they need the series' id).
        var failures: [String: String] = [:]
        try await writeGoogle(&units, normal: normal, failures: &failures)
        // 5. The local side, committed at once (an .ics file is written here).
        var localDone: Set<String> = []
        await writeLocal(&units, failures: &failures, done: &localDone)
        do {
            try await local.commit()
        } catch StoreError.changedSinceListing(let path) {
            report.localWriteAbandoned = path
            note("\(path) changed while calport was syncing: nothing was written to it; run sync again")
            for uid in localDone { failures[uid] = failures[uid] ?? "the local calendar changed during the sync" }
            localDone = []
        }

        // 6. The state: what each side holds now, agreed where both were written or linked.
        var save: [SyncState.Record] = []
        var forget: [String] = []
        for u in units.values {
            var r = u.record ?? SyncState.Record(uid: u.uid)
            r.google = u.google
            let failed = failures[u.uid] != nil
            switch u.decision {
            case .forget:
                forget.append(u.uid)
                continue
            case .none:
                r.pending = u.record != nil && sides[u.uid]?.google.hash != r.googleHash
                // Nothing new on either side: the record stays as it is (a quiet run writes
                // no record, which for 10,000 events is most of its time otherwise).
                if let old = u.record, !u.googleTouched, old.pending == r.pending, u.localEntry?.version == old.localVersion {
                    continue
                }
                if let e = u.localEntry, e.version != r.localVersion, sides[u.uid]?.local.hash == r.localHash {
                    r.localVersion = e.version  // rewritten alike: the next run need not read it again
                }
            case .conflict, .unknown:
                // Keep the hashes of the last agreement: a change seen now stays a change.
                r.pending = r.pending || u.googleTouched
            case .link, .put, .delete:
                if failed {
                    r.pending = true
                    break
                }
                r.pending = false
                if case .delete(.local) = u.decision { forget.append(u.uid); continue }
                if case .delete(.google) = u.decision { forget.append(u.uid); continue }
                if let e = u.localEntry {
                    r.localId = e.id
                    r.localVersion = e.version
                    if let item = e.item { r.localHash = SyncNormalForm.hash(normal.events(local: item)) }
                }
                let g = normal.events(google: u.google)
                r.googleHash = SyncNormalForm.hash(g)
                r.agreed = g
            }
            save.append(r)
        }
        try state.save(save)
        try state.forget(forget)
        // 7. Last, the token: the next run lists what changed after this run's listing.
        try state.setSyncToken(googleListing.nextToken)
        try state.setIdentity(currentIdentity)
        if nextMode == "all" { try state.setMeta("next", nil) }
        try state.clearJournal()
        report.failed = failures
        return report
    }

    // MARK: gathering

    /// Groups both listings and the state by UID.
    func gather(localListing: StoreListing<CalendarObject>, googleListing: StoreListing<GoogleEvent>,
                records: [String: SyncState.Record]) -> [String: Unit] {
        var units: [String: Unit] = [:]
        for (uid, r) in records {
            units[uid] = Unit(uid: uid, record: r, google: googleListing.isComplete ? [] : r.google,
                              googleTouched: googleListing.isComplete)
        }
        func unit(_ uid: String) -> Unit {
            units[uid] ?? Unit(uid: uid, record: nil, google: [], googleTouched: true)
        }
        // Local: complete listings only (a folder, a file).
        for e in localListing.entries {
            guard let object = e.item else { continue }
            var u = unit(object.uid)
            if u.localEntry != nil {
                u.localUnknown = "\(local.location): two entries hold UID \(object.uid) (\(u.localEntry!.id), \(e.id))"
            }
            u.localEntry = e
            units[object.uid] = u
        }
        // Google: by iCalUID, or through ids the state or the listing knows.
        var uidById: [String: String] = [:]
        for r in records.values { for g in r.google { if let id = g.id { uidById[id] = r.uid } } }
        for e in googleListing.entries { if let g = e.item, let uid = g.iCalUID, !uid.isEmpty { uidById[e.id] = uid } }
        for e in googleListing.entries {
            let uid = e.item?.iCalUID.flatMap { $0.isEmpty ? nil : $0 } ?? uidById[e.id]
                ?? e.item?.recurringEventId.flatMap { uidById[$0] }
            guard let uid else { continue }
            var u = unit(uid)
            u.googleTouched = true
            u.google.removeAll { $0.id == e.id }
            if let g = e.item { u.google.append(g) }
            units[uid] = u
        }
        for bad in localListing.unreadable {
            // The UID the entry held when last read, when the state knows it; or the entry's
            // id where it is a UID (a single file's), which Google may hold.
            guard let uid = records.values.first(where: { $0.localId == bad.id })?.uid ?? (units[bad.id] != nil ? bad.id : nil) else { continue }
            var u = unit(uid)
            u.localUnknown = bad.message
            units[uid] = u
        }
        return units
    }

    func localSide(_ u: Unit, _ normal: SyncNormalForm) -> SyncSideState {
        if let why = u.localUnknown { return .unknown(why) }
        guard let entry = u.localEntry, let object = entry.item else { return .absent }
        if let r = u.record, r.localVersion == entry.version, let h = r.localHash {
            return .present(events: r.agreed ?? normal.events(local: object), hash: h)
        }
        let events = normal.events(local: object)
        return .present(events: events, hash: SyncNormalForm.hash(events))
    }

    func googleSide(_ u: Unit, _ normal: SyncNormalForm) -> SyncSideState {
        let live = u.google.filter { !($0.status == "cancelled" && $0.originalStartTime == nil) }
        guard !live.isEmpty else { return .absent }
        if !u.googleTouched, let r = u.record, !r.pending, let h = r.googleHash {
            return .present(events: r.agreed ?? normal.events(google: live), hash: h)
        }
        let events = normal.events(google: live)
        if events.isEmpty { return .absent }
        return .present(events: events, hash: SyncNormalForm.hash(events))
    }

    static func localModified(_ object: CalendarObject?) -> Int? {
        object?.events.compactMap { ($0.lastModified ?? $0.timestamp)?.secondsSinceEpoch }.max()
    }

    static func googleModified(_ events: [GoogleEvent]) -> Int? {
        events.compactMap { $0.updated.flatMap { EventKey.instant($0, zone: "UTC") } }.max()
    }

    // MARK: safety

    var currentIdentity: SyncState.Identity {
        SyncState.Identity(localPath: local.location, localIdentity: localIdentity, calendarId: options.calendarId,
                           account: options.account)
    }

    func checkIdentity() throws {
        guard let known = try state.identity else {
            // A first sync of a folder another pair already syncs: the folder's events would
            // be copied into a second calendar. Said, not done, unless a reset asks for it.
            let others = SyncState.otherPairs(in: (state.path as NSString).deletingLastPathComponent,
                                              localPath: local.location, except: state.path)
            if !others.isEmpty {
                throw SyncRefusal(message: "\(local.location) is synced with \(others.joined(separator: ", ")), not with \(options.calendarId) (\(options.account)): nothing was written",
                                  advice: "sync it with that calendar, or start this pair with `calport sync reset --existing keep --next all`").failure
            }
            return
        }
        if known.localIdentity != localIdentity {
            throw SyncRefusal(message: "\(local.location) is not the calendar this pair last synced (it was moved or replaced)",
                              advice: "if that is intended, start again with `calport sync reset --existing keep --next all`").failure
        }
        if known.calendarId != options.calendarId || known.account != options.account {
            throw SyncRefusal(message: "the Google calendar or account changed since the last sync of \(local.location)",
                              advice: "sync with the calendar of the last run, or start again with `calport sync reset`").failure
        }
    }

    /// Refuses the run when a side the state knows is now empty, or when the deletions exceed
    /// the limit on either side.
    func checkDeletions(_ plan: SyncPlanSummary, records: [String: SyncState.Record], units: [String: Unit],
                        localListing: StoreListing<CalendarObject>) throws {
        if case .unlimited = options.deletionLimit.kind { return }
        let knownLocal = records.values.filter { $0.isOnLocal && !$0.excluded }.count
        let knownGoogle = records.values.filter { $0.isOnGoogle && !$0.excluded }.count
        let nowLocal = units.values.filter { $0.localEntry != nil || $0.localUnknown != nil }.count
        let nowGoogle = units.values.filter { u in u.google.contains { !($0.status == "cancelled" && $0.originalStartTime == nil) } }.count
        if knownLocal > 0 && nowLocal == 0 {
            throw SyncRefusal(message: "\(local.location) is empty, but \(knownLocal) events were synced from it: nothing was written",
                              advice: "if the calendar was emptied on purpose, run again with --force-delete").failure
        }
        if knownGoogle > 0 && nowGoogle == 0 {
            throw SyncRefusal(message: "Google calendar \(options.calendarId) is empty, but \(knownGoogle) events were synced to it: nothing was written",
                              advice: "if the calendar was emptied on purpose, run again with --force-delete").failure
        }
        for (side, count, known) in [("local", plan.local.delete.count, knownLocal), ("Google", plan.google.delete.count, knownGoogle)] {
            let allowed = options.deletionLimit.allowed(known: known)
            if count > allowed {
                throw SyncRefusal(message: "the sync would delete \(count) of \(known) \(side) events, more than the \(allowed) allowed: nothing was written",
                                  advice: "check the other side; then pass --max-delete N (or P%) or --force-delete").failure
            }
        }
    }

    // MARK: writing

    func writeGoogle(_ units: inout [String: Unit], normal: SyncNormalForm, failures: inout [String: String]) async throws {
        // Phase 1: series and single events (create or update), and deletions.
        var changes: [StoreChange<GoogleEvent>] = []
        var owners: [(uid: String, overrides: [GoogleEvent])] = []
        var desiredSeries: [String: Event] = [:]
        for uid in units.keys.sorted() {
            let u = units[uid]!
            switch u.decision {
            case .put(_, let events?):
                var modelEvents = events.map(\.event)
                if !modelEvents.contains(where: { $0.recurrenceID == nil }) {
                    // Overrides whose series is not here (an invitation to one occurrence, a
                    // Lotus Notes export): Google holds no exception without a series, so they
                    // go under a series of their own, as push sends them; reading Google back
                    // leaves that series out again (`SyncNormalForm`).
                    SeriesShapes.repair(&modelEvents, makingSeries: true) { _ in }
                }
                let desired = modelEvents.map { normal.mapper.googleEvent(from: $0) { _ in } }
                let series = desired.first { $0.originalStartTime == nil }
                let current = u.google.first { $0.originalStartTime == nil && $0.status != "cancelled" }
                var overrides = desired.filter { $0.originalStartTime != nil }
                if var body = series {
                    body.id = nil
                    body.iCalUID = uid
                    if let current, let id = current.id {
                        body.id = id
                        changes.append(.update(id: id, body, ifMatch: current.etag))
                    } else {
                        changes.append(.create(body, id: nil))
                    }
                    owners.append((uid, overrides))
                    desiredSeries[uid] = events.first { $0.instance == nil }?.event
                } else {
                    // Overrides without a series (an invitation to one occurrence): each on its own.
                    for var o in overrides {
                        o.iCalUID = uid
                        if let cur = u.google.first(where: { Self.sameInstance($0, o) }), let id = cur.id {
                            o.id = id
                            changes.append(.update(id: id, o, ifMatch: cur.etag))
                        } else {
                            changes.append(.create(o, id: nil))
                        }
                        owners.append((uid, []))
                    }
                    overrides = []
                }
            case .delete(.google):
                for g in u.google where g.status != "cancelled" && (g.recurringEventId == nil) {
                    if let id = g.id { changes.append(.delete(id: id, ifMatch: g.etag)); owners.append((uid, [])) }
                }
            default: continue
            }
        }
        expectWrites(changes.count)
        let first = await remote.apply(changes, progress: advance)
        var seriesIds: [String: String] = [:]
        var revive: [Int] = []
        for (i, outcome) in first.enumerated() {
            let uid = owners[i].uid
            switch outcome {
            case .done(let entry):
                if let g = entry.item {
                    units[uid]!.google.removeAll { $0.id == entry.id }
                    units[uid]!.google.append(g)
                    if g.originalStartTime == nil { seriesIds[uid] = entry.id }
                } else {
                    units[uid]!.google.removeAll { $0.id == entry.id || $0.recurringEventId == entry.id }
                }
            case .notFound:
                if case .delete = changes[i] { units[uid]!.google.removeAll { $0.id == changes[i].id } } else {
                    failures[uid] = "Google no longer has the event; run sync again"
                }
            case .preconditionFailed:
                failures[uid] = "changed in Google during the sync (412): left as it is, run sync again to decide anew"
            case .alreadyExists:
                revive.append(i)
            case .failed(let message, _):
                failures[uid] = message
            }
        }
        // Creates refused because Google keeps a deleted event of that iCalUID: it is brought back.
        if !revive.isEmpty, let lookup = remote as? GoogleCalendarStore {
            var updates: [StoreChange<GoogleEvent>] = []
            var updateOwners: [String] = []
            for i in revive {
                let uid = owners[i].uid
                guard case .create(var body, _) = changes[i],
                      let existing = try? await lookup.events(iCalUID: uid).first(where: { $0.originalStartTime == nil && $0.recurringEventId == nil }),
                      let id = existing.id else {
                    failures[uid] = "Google already holds an event with this iCalUID and calport could not find it; run sync again"
                    continue
                }
                body.id = id
                body.status = body.status ?? "confirmed"
                updates.append(.update(id: id, body, ifMatch: nil))
                updateOwners.append(uid)
            }
            for (uid, outcome) in zip(updateOwners, await remote.apply(updates, progress: nil)) {
                if case .done(let entry) = outcome, let g = entry.item {
                    units[uid]!.google.removeAll { $0.id == entry.id }
                    units[uid]!.google.append(g)
                    seriesIds[uid] = entry.id
                } else {
                    failures[uid] = "Google keeps a deleted event with this iCalUID and refused to bring it back; run sync again"
                }
            }
        }
        // Phase 2: the overrides of each series written (patching Google's instances).
        var second: [StoreChange<GoogleEvent>] = []
        var secondOwners: [String] = []
        for (uid, overrides) in owners where failures[uid] == nil {
            guard let seriesId = seriesIds[uid] ?? units[uid]?.google.first(where: { $0.originalStartTime == nil })?.id else { continue }
            let u = units[uid]!
            let wanted = Set(overrides.compactMap(SyncNormalForm.instance))
            for var o in overrides {
                o.iCalUID = uid
                o.recurringEventId = seriesId
                if let cur = u.google.first(where: { Self.sameInstance($0, o) }), let id = cur.id {
                    o.id = id
                    if Self.sameContent(cur, o) { continue }
                    second.append(.update(id: id, o, ifMatch: cur.etag))
                } else if let stamp = SyncNormalForm.instance(of: o) {
                    // Google holds every occurrence of a series as an instance, listed only once
                    // changed, with the id `<series id>_<original start>`: an override patches it.
                    o.id = seriesId + "_" + stamp
                    second.append(.update(id: seriesId + "_" + stamp, o, ifMatch: nil))
                } else {
                    continue
                }
                secondOwners.append(uid)
            }
            // Overrides Google holds that the desired version no longer has: an EXDATE now
            // (the occurrence is cancelled), or a removed override (the occurrence goes back to
            // the series' time and content).
            for cur in u.google where cur.originalStartTime != nil && cur.status != "cancelled" && cur.recurringEventId == seriesId {
                guard let stamp = SyncNormalForm.instance(of: cur), !wanted.contains(stamp), let id = cur.id else { continue }
                // Restored only where the series still has that occurrence; an override of an
                // occurrence the series no longer makes (its start moved) goes.
                if let series = desiredSeries[uid],
                   var restored = SeriesOccurrence.google(of: series, at: stamp, mapper: normal.mapper, utcOffset: normal.utcOffset) {
                    restored.id = id
                    restored.iCalUID = uid
                    restored.recurringEventId = seriesId
                    second.append(.update(id: id, restored, ifMatch: cur.etag))
                } else {
                    second.append(.delete(id: id, ifMatch: cur.etag))
                }
                secondOwners.append(uid)
            }
        }
        guard !second.isEmpty else { return }
        expectWrites(second.count)
        let results = await remote.apply(second, progress: advance)
        for (i, outcome) in results.enumerated() {
            let uid = secondOwners[i]
            switch outcome {
            case .done(let entry):
                let previous = units[uid]!.google.first { $0.id == entry.id }
                units[uid]!.google.removeAll { $0.id == entry.id }
                if let g = entry.item {
                    units[uid]!.google.append(g)
                } else if var cancelled = previous {
                    // A deleted instance stays in Google as a cancelled occurrence, and the next
                    // listing says so: kept that way here, so that it is not taken for a change.
                    cancelled.status = "cancelled"
                    units[uid]!.google.append(cancelled)
                }
            case .notFound:
                if case .delete = second[i] { units[uid]!.google.removeAll { $0.id == second[i].id } }
            case .preconditionFailed:
                failures[uid] = "an occurrence changed in Google during the sync (412): run sync again to decide anew"
            case .alreadyExists:
                failures[uid] = "Google already holds this occurrence; run sync again"
            case .failed(let message, _):
                failures[uid] = message
            }
        }
    }

    static func sameInstance(_ a: GoogleEvent, _ b: GoogleEvent) -> Bool {
        guard let x = SyncNormalForm.instance(of: a), let y = SyncNormalForm.instance(of: b) else { return false }
        return x == y
    }

    /// An override whose content Google already holds is not sent again.
    static func sameContent(_ current: GoogleEvent, _ wanted: GoogleEvent) -> Bool {
        current.status != "cancelled" && current.summary == wanted.summary && current.description == wanted.description
            && current.location == wanted.location && current.start == wanted.start && current.end == wanted.end
            && current.extendedProperties == wanted.extendedProperties
    }

    func writeLocal(_ units: inout [String: Unit], failures: inout [String: String], done: inout Set<String>) async {
        var changes: [StoreChange<CalendarObject>] = []
        var owners: [String] = []
        for uid in units.keys.sorted() where failures[uid] == nil {
            let u = units[uid]!
            switch u.decision {
            case .put(let events?, _):
                let object = CalendarObject(uid: uid, events: events.map(\.event))
                if let entry = u.localEntry {
                    changes.append(.update(id: entry.id, object, ifMatch: entry.version))
                } else {
                    changes.append(.create(object, id: nil))
                }
                owners.append(uid)
            case .delete(.local):
                if let entry = u.localEntry {
                    changes.append(.delete(id: entry.id, ifMatch: entry.version))
                    owners.append(uid)
                }
            default: continue
            }
        }
        guard !changes.isEmpty else { return }
        expectWrites(changes.count)
        let results = await local.apply(changes, progress: advanceLocal)
        for (i, outcome) in results.enumerated() {
            let uid = owners[i]
            switch outcome {
            case .done(let entry):
                units[uid]!.localEntry = entry.item == nil ? nil : entry
                done.insert(uid)
            case .notFound:
                if case .delete = changes[i] { units[uid]!.localEntry = nil; done.insert(uid) } else {
                    failures[uid] = "\(local.location): the entry went away during the sync"
                }
            case .preconditionFailed:
                failures[uid] = "\(local.location): changed by another program during the sync; run sync again"
            case .alreadyExists:
                failures[uid] = "\(local.location): an entry with this name exists already"
            case .failed(let message, _):
                failures[uid] = message
            }
        }
    }
}

extension StoreChange {
    /// The entry an update or delete names.
    var id: String? {
        switch self {
        case .create(_, let id): id
        case .update(let id, _, _), .delete(let id, _): id
        }
    }
}

/// `calport sync reset`: what happens to the events the pair synced so far, and how the next
/// sync begins. Odoo's "Reset Account" matrix, as two choices.
public struct SyncReset: Sendable, Codable, Equatable {
    /// The events the state links on both sides.
    public enum Existing: String, Sendable, Codable, CaseIterable {
        /// Left untouched on both sides.
        case keep
        /// Deleted from Google (only those the account organises); the local ones stay.
        case deleteGoogle = "delete-google"
        /// Deleted locally; Google's stay.
        case deleteLocal = "delete-local"
        case deleteBoth = "delete-both"
    }

    /// How the next sync begins.
    public enum Next: String, Sendable, Codable, CaseIterable {
        /// Events that exist now stay out of sync; only events created from now on travel.
        case new
        /// A first sync: events are linked by UID, one-sided ones copied (without email).
        case all
    }

    public var existing: Existing
    public var next: Next

    public init(existing: Existing, next: Next) {
        self.existing = existing
        self.next = next
    }

    var deletesGoogle: Bool { existing == .deleteGoogle || existing == .deleteBoth }
    var deletesLocal: Bool { existing == .deleteLocal || existing == .deleteBoth }
}

/// What a reset did or would do.
public struct SyncResetReport: Sendable, Codable {
    public var reset: SyncReset
    public var googleDeletions = 0
    /// Linked Google events the account does not organise: removing them would cancel them for
    /// everyone, so they are left alone (the account can decline them in Google).
    public var notOrganised: [String] = []
    public var localDeletions = 0
    public var failed: [String: String] = [:]
    public var dryRun = false
    public var outcome: Outcome { failed.isEmpty ? .success : .partial }
}

extension SyncEngine {
    /// Google events of a UID the account may delete: those it organises (Google marks them
    /// `organizer.self`), or with no organizer, or organised by the calendar itself.
    func organises(_ events: [GoogleEvent]) -> Bool {
        events.allSatisfy { g in
            guard let o = g.organizer else { return true }
            return o.`self` == true || o.email?.lowercased() == options.calendarId.lowercased()
        }
    }

    public func reset(_ reset: SyncReset, batch: Int = 50) async throws -> SyncResetReport {
        var report = SyncResetReport(reset: reset)
        report.dryRun = options.dryRun
        // A reset that keeps the events is how a moved folder or another calendar is accepted;
        // one that deletes must be sure what the state's ids name.
        if reset.existing != .keep { try checkIdentity() }
        let records = try state.records()
        // Deletions a killed reset left are owed first.
        var queue = try state.queuedDeletions()
        if queue.isEmpty && reset.deletesGoogle {
            var owed: [(googleId: String, uid: String, etag: String?)] = []
            for r in records.values.sorted(by: { $0.uid < $1.uid }) where r.isOnGoogle && !r.excluded {
                guard organises(r.google) else { report.notOrganised.append(r.uid); continue }
                for g in r.google where g.recurringEventId == nil && g.status != "cancelled" {
                    if let id = g.id { owed.append((id, r.uid, g.etag)) }
                }
            }
            if !options.dryRun { try state.enqueueDeletions(owed) }
            queue = owed
        }
        report.googleDeletions = queue.count
        var localIds: [(uid: String, id: String, version: String?)] = []
        if reset.deletesLocal {
            for r in records.values.sorted(by: { $0.uid < $1.uid }) where r.isOnLocal && !r.excluded {
                if let id = r.localId { localIds.append((r.uid, id, r.localVersion)) }
            }
        }
        report.localDeletions = localIds.count
        if options.dryRun { return report }

        // Google, a batch at a time: each deletion leaves the queue when Google confirms it, so a
        // reset killed half-way resumes where it stopped.
        var start = 0
        while start < queue.count {
            let chunk = Array(queue[start..<min(queue.count, start + batch)])
            start += chunk.count
            let results = await remote.apply(chunk.map { .delete(id: $0.googleId, ifMatch: nil) }, progress: nil)
            for (item, outcome) in zip(chunk, results) {
                switch outcome {
                case .done, .notFound: try state.dequeueDeletion(item.googleId)
                case .preconditionFailed, .alreadyExists: try state.dequeueDeletion(item.googleId)
                case .failed(let message, _): report.failed[item.uid] = message
                }
            }
            progress?.advance(by: chunk.count)
        }
        if !localIds.isEmpty {
            let listing = try await local.list(since: nil)
            let current = Dictionary(listing.entries.map { ($0.id, $0.version) }, uniquingKeysWith: { a, _ in a })
            let targets = localIds.filter { current[$0.id] != nil }
            let results = await local.apply(targets.map { .delete(id: $0.id, ifMatch: current[$0.id]!) }, progress: nil)
            for (t, outcome) in zip(targets, results) {
                switch outcome {
                case .done, .notFound: break
                case .preconditionFailed: report.failed[t.uid] = "\(local.location): changed during the reset"
                case .alreadyExists: break
                case .failed(let message, _): report.failed[t.uid] = message
                }
            }
            try await local.commit()
        }
        guard report.failed.isEmpty else { return report }
        // Recorded first: a reset killed after this still begins the next sync as asked.
        try state.setMeta("next", reset.next.rawValue)
        try state.forgetAll()
        try state.setIdentity(currentIdentity)
        if reset.next == .new {
            // What exists now, on either side, stays out of sync; only what is created from
            // now on travels.
            let localListing = try await local.list(since: nil)
            let googleListing = try await remote.list(since: nil)
            let units = gather(localListing: localListing, googleListing: googleListing, records: [:])
            try state.save(units.values.map { u in
                SyncState.Record(uid: u.uid, localId: u.localEntry?.id, localVersion: u.localEntry?.version,
                                 google: u.google, excluded: true)
            })
            try state.setSyncToken(googleListing.nextToken)
            try state.setMeta("next", nil)
        }
        return report
    }
}
