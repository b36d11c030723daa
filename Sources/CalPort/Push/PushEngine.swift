import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// What happened to one plan entry.
public struct PushOutcome: Sendable, Codable {
    public enum State: String, Sendable, Codable {
        /// Planned only (dry run, unchanged, skip, reject).
        case planned
        case done
        case failed
        /// Not confirmed: the push stopped before Google answered for it (it may or may not
        /// have been applied; the next run lists the calendar and finishes it).
        case notSent
        /// A create met an existing event that differs, and --on-existing skip leaves it alone.
        case skipped
    }
    public var state: State
    public var googleId: String?
    public var error: String?
    /// The error says Google was unavailable or rate-limited (running again may succeed).
    public var transient = false
    /// A create met an event that already held the content (a lost answer, or an earlier run).
    public var alreadyPresent = false
}

/// The result of a push: the plan and what came of each entry.
public struct PushResult: Sendable {
    public var plan: PushPlan
    public var outcomes: [PushOutcome]
    public var aborted: Failure?
    public var statistics: APIStatistics
    public var existingEvents: Int
    public var seconds: Double
    public var resumed: (started: Date, done: Int, planned: Int)?
    public var dryRun: Bool

    /// The plan before anything is sent, for messages shown before confirming.
    public static func preview(_ plan: PushPlan, existing: Int) -> PushResult {
        PushResult(plan: plan, outcomes: plan.entries.map { _ in PushOutcome(state: .planned) }, aborted: nil,
                   statistics: APIStatistics(), existingEvents: existing, seconds: 0, resumed: nil, dryRun: true)
    }

    func count(_ action: PushAction, _ state: PushOutcome.State) -> Int {
        zip(plan.entries, outcomes).lazy.filter { $0.0.action == action && $0.1.state == state }.count
    }

    public var created: Int { count(.create, .done) }
    public var updated: Int { count(.update, .done) }
    public var revived: Int { zip(plan.entries, outcomes).lazy.filter { $0.0.revive && $0.1.state == .done }.count }
    public var unchanged: Int { plan.count(.unchanged) }
    public var skipped: Int { plan.count(.skip) + outcomes.lazy.filter { $0.state == .skipped }.count }
    public var rejected: Int { plan.count(.reject) }
    public var failed: Int { outcomes.lazy.filter { $0.state == .failed }.count }
    public var notSent: Int { outcomes.lazy.filter { $0.state == .notSent }.count }
    /// Messages Google was asked to send (addresses of the changes that were made).
    public var notificationsRequested: Int {
        dryRun ? 0 : zip(plan.entries, outcomes).filter { $0.1.state == .done }.reduce(0) { $0 + $1.0.recipients.count }
    }

    /// The exit code: the abort's, else 69 when failures were Google being unavailable, else 3
    /// when any event failed or was rejected, else 0.
    public var outcome: Outcome {
        if let aborted { return aborted.outcome }
        let failures = outcomes.filter { $0.state == .failed }
        if !failures.isEmpty && failures.allSatisfy(\.transient) { return .unavailable }
        if !failures.isEmpty || rejected > 0 || notSent > 0 { return .partial }
        return .success
    }
}

/// Plans and applies a push. The plan lists the calendar once (deleted events included) and
/// compares; the apply sends the series and single events first, then the overrides and
/// cancelled occurrences (which need their series' Google id), in multipart batches with a
/// bounded number in flight, recording each step in the journal.
public final class PushEngine: @unchecked Sendable {
    public let api: GoogleCalendarAPI
    public let options: PushOptions
    let journal: PushJournal?
    let progress: ProgressReporter?
    let note: @Sendable (String) -> Void
    /// What the plan listed (every event, deleted ones included), for `--prune`.
    private(set) var listed = ExistingIndex()
    let notedLimit = Shared<Int?>(nil)

    /// - Parameters:
    ///   - stateDirectory: where the journal lives; nil: no journal (and no lock). A dry run
    ///     only reads it.
    ///   - note: one-line messages for the user (stderr in the CLI).
    public init(api: GoogleCalendarAPI, options: PushOptions, stateDirectory: String?, progress: ProgressReporter? = nil,
                note: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.api = api
        self.options = options
        self.progress = progress
        self.note = note
        journal = try stateDirectory.flatMap {
            // A dry run reads what the journal knows (to recognise deleted events) and takes no lock.
            options.dryRun ? try PushJournal(readingIn: $0) : try PushJournal(directory: $0, calendarId: options.calendarId)
        }
    }

    deinit { journal?.close() }

    /// The journal's file, when there is one.
    public var journalPath: String? { journal?.path }

    /// The events.list mask of the planning listing: what `GoogleEventDiff` compares, and what
    /// identifies an event (id, series, status) and orders its updates (sequence).
    static let listFields = "items("
        + EventField.allCases.filter { GoogleEventDiff.comparedFields.contains($0) || identityFields.contains($0) }
            .map(\.rawValue).joined(separator: ",") + ")"
    static let identityFields: Set<EventField> = [.id, .iCalUID, .status, .recurringEventId, .originalStartTime, .sequence]

    /// The calendar as the plan and the 409 lookups list it: deleted events included (their ids
    /// and iCalUIDs stay taken), with the fields the comparison needs. Only the listing goes
    /// through the store: the sends stay with `apply`, which journals each answer, paces its
    /// batches in flight and resolves 409s against the plan.
    var store: GoogleCalendarStore {
        GoogleCalendarStore(api: api, calendarId: options.calendarId,
                            options: .init(fields: Self.listFields, includeDeleted: true, sendUpdates: options.sendUpdates.sendUpdates,
                                           createMethod: options.mode == .insert ? .insert : .import))
    }

    /// Lists the calendar and decides what to do with every input event. Sends nothing.
    public func plan(_ input: PushInput) async throws -> (PushPlan, existing: Int) {
        var owner: String?
        if options.mode == .insert && options.sendUpdates != .none {
            owner = try await api.calendar(id: options.calendarId).id ?? options.calendarId
        }
        // Page by page into the index, which keeps each event as its JSON.
        var index = ExistingIndex()
        _ = try await store.listing { page in for g in page { index.add(g) } }
        // The journal is asked only about the events listed without iCalUID (deleted ones): all
        // its ids at once were 27 MB at 100,000 events.
        let calendarId = options.calendarId
        try index.index { [journal] id in try journal?.knownId(id, calendarId: calendarId) }
        listed = index
        let plan = PushPlanner(options: options, ownerEmail: owner).plan(input, existing: index)
        return (plan, index.count)
    }

    /// Sends what the plan says (nothing for a dry run).
    public func apply(_ plan: PushPlan, input: PushInput, existing: Int) async -> PushResult {
        let started = Date()
        let ledger = Ledger(plan.entries.map { _ in PushOutcome(state: .planned) })
        var result = PushResult(plan: plan, outcomes: [], aborted: nil, statistics: APIStatistics(), existingEvents: existing,
                                seconds: 0, resumed: nil, dryRun: options.dryRun)
        let toSend = plan.entries.indices.filter { plan.entries[$0].action == .create || plan.entries[$0].action == .update }
        if !options.dryRun && !toSend.isEmpty {
            do {
                try journal?.begin(calendarId: options.calendarId, input: input.identity, mode: options.mode, planned: toSend.count)
                result.resumed = journal?.resumed
                if let r = journal?.resumed {
                    note("resuming the push of this input begun \(Self.stamp(r.started)): \(r.done) of \(r.planned) events were done; Google is the truth, so only what is missing is sent")
                }
                progress?.setTotal(toSend.count)
                let first = toSend.filter { !plan.entries[$0].isException }
                let second = toSend.filter { plan.entries[$0].isException }
                try await wave(first, plan: plan, ledger: ledger, seriesIds: [:])
                // Series created just now: their ids, for the exceptions.
                var seriesIds: [String: String] = [:]
                for i in first where ledger[i].state == .done { if let id = ledger[i].googleId { seriesIds[plan.entries[i].key.uid] = id } }
                var failedSeries: Set<String> = []
                for i in first where ledger[i].state == .failed { failedSeries.insert(plan.entries[i].key.uid) }
                var ready: [Int] = []
                for i in second {
                    let uid = plan.entries[i].key.uid
                    if plan.entries[i].seriesId == nil && seriesIds[uid] == nil {
                        ledger.set(i, PushOutcome(state: .failed, error: failedSeries.contains(uid)
                            ? "its series failed, so the occurrence could not be attached" : "its series has no Google id"))
                        progress?.advance(by: 1)
                    } else {
                        ready.append(i)
                    }
                }
                try await wave(ready, plan: plan, ledger: ledger, seriesIds: seriesIds)
                // A run with failures stays open: the next run of the same input says it resumes.
                if ledger.all.allSatisfy({ $0.state != .failed }) { try journal?.complete() }
            } catch {
                result.aborted = Failure(error)
                for i in toSend where ledger[i].state == .planned { ledger.set(i, PushOutcome(state: .notSent)) }
            }
            progress?.finish()
        }
        result.outcomes = ledger.all
        result.statistics = api.stats
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    static func stamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    // MARK: - Sending

    /// Sends entries in chunks of the batch size, `concurrency` chunks at a time. Throws (and
    /// stops starting chunks) when the push must stop: sign-in rejected, quota exhausted.
    func wave(_ indices: [Int], plan: PushPlan, ledger: Ledger, seriesIds: [String: String]) async throws {
        guard !indices.isEmpty else { return }
        let size = max(1, options.batchSize)
        let chunks = stride(from: 0, to: indices.count, by: size).map { Array(indices[$0..<min($0 + size, indices.count)]) }
        let conflicts = Shared<[Int]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                let chunk = chunks[next]
                next += 1
                group.addTask { [self] in
                    let found = try await self.send(chunk, plan: plan, ledger: ledger, seriesIds: seriesIds)
                    conflicts.update { $0 += found }
                }
            }
            while next < min(chunks.count, max(1, options.concurrency)) { start() }
            while try await group.next() != nil {
                if next < chunks.count { start() }
            }
        }
        // Creates refused because the event exists (deleted in Google, or changed since the
        // plan): find it and update it, a few at a time.
        let pending = conflicts.value
        guard !pending.isEmpty else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                let i = pending[next]
                next += 1
                group.addTask { [self] in try await self.resolveConflict(i, plan: plan, ledger: ledger, seriesIds: seriesIds) }
            }
            while next < min(pending.count, max(1, options.concurrency)) { start() }
            while try await group.next() != nil {
                if next < pending.count { start() }
            }
        }
    }

    func request(for i: Int, plan: PushPlan, seriesIds: [String: String]) -> BatchRequest {
        let entry = plan.entries[i]
        var body = plan.body(of: i) ?? GoogleEvent()
        let conference = body.conferenceData != nil ? 1 : nil
        let attachments = body.attachments?.isEmpty == false ? true : nil
        switch entry.action {
        case .update:
            return .update(body, eventId: entry.eventId ?? "", sendUpdates: options.sendUpdatesValue,
                           conferenceDataVersion: conference, supportsAttachments: attachments)
        default:
            if entry.isException { body.recurringEventId = entry.seriesId ?? seriesIds[entry.key.uid] }
            switch options.mode {
            case .import: return .importEvent(body, conferenceDataVersion: conference, supportsAttachments: attachments)
            case .insert: return .insert(body, sendUpdates: options.sendUpdatesValue, conferenceDataVersion: conference,
                                         supportsAttachments: attachments)
            }
        }
    }

    /// Sends one chunk; returns the entries whose create met a conflict to resolve.
    func send(_ chunk: [Int], plan: PushPlan, ledger: Ledger, seriesIds: [String: String]) async throws -> [Int] {
        try Task.checkCancellation()
        try journal?.sending(chunk.map { plan.entries[$0] })
        let requests = chunk.map { request(for: $0, plan: plan, seriesIds: seriesIds) }
        var results: [BatchResult]
        if chunk.count == 1 && options.batchSize == 1 {
            results = [try await single(requests[0])]
        } else {
            results = try await api.batch(requests, calendarId: options.calendarId, partsPerBatch: chunk.count)
        }
        var conflicts: [Int] = []
        var journalled: [(key: EventKey, googleId: String?, error: String?)] = []
        var stop: GoogleAPIError?
        for r in results {
            let i = chunk[r.index]
            let entry = plan.entries[i]
            if let e = r.error {
                if e.status == 409 && entry.action == .create {
                    conflicts.append(i)
                    continue
                }
                if Self.stopsThePush(e) { stop = stop ?? e }
                ledger.set(i, PushOutcome(state: .failed, error: e.description, transient: Self.isTransient(e)))
                journalled.append((entry.key, nil, e.description))
            } else {
                let id = r.event?.id ?? entry.eventId
                ledger.set(i, PushOutcome(state: .done, googleId: id, alreadyPresent: r.recovered))
                journalled.append((entry.key, id, nil))
            }
        }
        try journal?.finished(journalled, calendarId: options.calendarId)
        progress?.advance(by: chunk.count - conflicts.count, detail: progressDetail(ledger))
        notePacing()
        if let stop { throw stop }
        return conflicts
    }

    /// Failures so far and, once Google limits the rate, the pace ("rate-limited by Google:
    /// 9.8 calls/s").
    func progressDetail(_ ledger: Ledger) -> String {
        [ledger.failedDetail, api.pacing.description].filter { !$0.isEmpty }.joined(separator: "  ")
    }

    /// Says what limit the client learned from Google's refusals: when first learned, and when
    /// learned lower (its slow rises go unsaid).
    func notePacing() {
        let p = api.pacing
        guard let calls = p.learnedCalls, let window = p.learnedWindow else { return }
        var changed = false
        notedLimit.update {
            if $0.map({ calls < $0 }) ?? true { changed = true }
            $0 = calls
        }
        guard changed else { return }
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        note("rate-limited by Google: pacing to \(calls) calls per \(Int(seconds.rounded())) s (about "
             + String(format: "%.1f", Double(calls) / max(seconds, 1)) + " calls/s)")
    }

    /// One call on its own (batch size 1), as a batch result.
    func single(_ r: BatchRequest) async throws -> BatchResult {
        do {
            let event: GoogleEvent
            switch r.operation {
            case .importEvent(let g):
                event = try await api.importEvent(g, calendarId: options.calendarId, conferenceDataVersion: r.conferenceDataVersion,
                                                  supportsAttachments: r.supportsAttachments)
            case .insert(let g, let s):
                event = try await api.insertEvent(g, calendarId: options.calendarId, sendUpdates: s,
                                                  conferenceDataVersion: r.conferenceDataVersion, supportsAttachments: r.supportsAttachments)
            case .update(let g, let id, let s):
                event = try await api.updateEvent(g, calendarId: options.calendarId, eventId: id, sendUpdates: s,
                                                  conferenceDataVersion: r.conferenceDataVersion, supportsAttachments: r.supportsAttachments)
            default:
                throw GoogleAPIError(status: 0, message: "not a push call", operation: r.methodName)
            }
            return BatchResult(index: 0, status: 200, event: event)
        } catch let e as GoogleAPIError {
            if Self.stopsThePush(e) { throw e }
            return BatchResult(index: 0, status: e.status, error: e)
        }
    }

    /// Errors after which sending more is pointless or harmful.
    static func stopsThePush(_ e: GoogleAPIError) -> Bool {
        switch e.kind {
        // forbidden (no writer access to the calendar) fails every write alike.
        case _ where e.gaveUpAfter != nil: true  // nothing got through for --max-wait
        case .unauthorized, .quotaExceeded, .apiNotEnabled, .insufficientScope, .forbidden, .insecureRoot: true
        case .notFound: e.operation == "batch"
        default: false
        }
    }

    static func isTransient(_ e: GoogleAPIError) -> Bool {
        switch e.kind {
        case .rateLimited, .serverError, .transport: true
        case .responseTooLarge, .endlessListing, .insecureRoot: false
        default: e.status == 0
        }
    }

    /// A create met 409: the event exists though the plan did not see it (deleted in Google and
    /// listed without its iCalUID, or made meanwhile). Finds it by iCalUID (deleted ones
    /// included) or by id, and updates it unless it already holds the content.
    func resolveConflict(_ i: Int, plan: PushPlan, ledger: Ledger, seriesIds: [String: String]) async throws {
        let entry = plan.entries[i]
        defer { progress?.advance(by: 1, detail: progressDetail(ledger)) }
        do {
            var found: GoogleEvent?
            if options.mode == .insert, !entry.isException, let id = entry.eventId {
                found = try? await api.getEvent(calendarId: options.calendarId, eventId: id)
            }
            if found == nil {
                let items = try await store.events(iCalUID: entry.key.uid)
                let seriesId = entry.seriesId ?? seriesIds[entry.key.uid]
                let match = items.first { g in
                    if entry.isException {
                        guard g.recurringEventId != nil || g.originalStartTime != nil else { return false }
                        if let original = g.originalStartTime { return EventKey.stamp(original) == entry.key.instance }
                        return false
                    }
                    return g.originalStartTime == nil && (g.recurringEventId == nil || g.recurringEventId == seriesId)
                }
                // Tombstones are listed bare: read the whole event.
                if let id = match?.id { found = try await api.getEvent(calendarId: options.calendarId, eventId: id) }
            }
            guard let existing = found, let id = existing.id, let wanted = plan.body(of: i) else {
                let message = "Google refused the event as a duplicate (409) but no event with its iCalUID can be found"
                ledger.set(i, PushOutcome(state: .failed, error: message))
                try journal?.finished([(entry.key, nil, message)], calendarId: options.calendarId)
                return
            }
            if existing.status != "cancelled" || wanted.status == "cancelled",
               GoogleEventDiff(comparesReminders: options.sourceDecidesReminders(wanted)).same(wanted, existing) {
                ledger.set(i, PushOutcome(state: .done, googleId: id, alreadyPresent: true))
                try journal?.finished([(entry.key, id, nil)], calendarId: options.calendarId)
                return
            }
            if options.onExisting == .skip {
                let why = existing.status == "cancelled" ? "cancelled in Google" : "exists in Google and differs"
                ledger.set(i, PushOutcome(state: .skipped, googleId: id, error: "\(why) (--on-existing skip)"))
                try journal?.finished([(entry.key, id, nil)], calendarId: options.calendarId)
                return
            }
            let body = PushPlanner(options: options).updateBody(wanted, existing: existing)
            let updated = try await api.updateEvent(body, calendarId: options.calendarId, eventId: id, sendUpdates: options.sendUpdatesValue,
                                                    conferenceDataVersion: body.conferenceData != nil ? 1 : nil,
                                                    supportsAttachments: body.attachments?.isEmpty == false ? true : nil)
            ledger.set(i, PushOutcome(state: .done, googleId: updated.id ?? id))
            try journal?.finished([(entry.key, updated.id ?? id, nil)], calendarId: options.calendarId)
        } catch let e as GoogleAPIError {
            if Self.stopsThePush(e) { throw e }
            ledger.set(i, PushOutcome(state: .failed, error: e.description, transient: Self.isTransient(e)))
            try journal?.finished([(entry.key, nil, e.description)], calendarId: options.calendarId)
        }
    }
}

/// Thread-safe storage for outcomes shared by concurrent chunks.
typealias Ledger = Shared<[PushOutcome]>

final class Shared<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: T
    init(_ value: T) { storage = value }
    var value: T { lock.withLock { storage } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&storage) } }
}

extension Shared where T == [PushOutcome] {
    subscript(_ i: Int) -> PushOutcome { lock.withLock { storage[i] } }
    func set(_ i: Int, _ o: PushOutcome) { lock.withLock { storage[i] = o } }
    var all: [PushOutcome] { value }
    var failedDetail: String {
        let n = lock.withLock { storage.lazy.filter { $0.state == .failed }.count }
        return n == 0 ? "" : "\(n) failed"
    }
}
