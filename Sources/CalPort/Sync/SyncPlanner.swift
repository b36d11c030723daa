import CalendarModel
import Foundation
import GoogleCalendar

/// Which side of a two-way sync.
public enum SyncSide: String, Sendable, Codable, CaseIterable {
    case local
    case google
}

/// What to do when both sides changed the same UID since the last sync (`--conflict`).
public enum ConflictPolicy: String, Sendable, Codable, CaseIterable {
    /// Fields changed on different sides are merged; a field changed on both is a conflict.
    case merge
    /// The local version wins.
    case local
    /// Google's version wins.
    case google
    /// The version modified last wins (LAST-MODIFIED against Google's `updated`).
    case newer
    /// Every UID changed on both sides is a conflict.
    case fail
}

/// How many deletions a sync may make on each side before it refuses (`--max-delete`).
public struct DeletionLimit: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// max(5, 10% of the side's known events): the default.
        case standard
        case count(Int)
        case percent(Double)
        /// `--force-delete`: no limit.
        case unlimited
    }
    public var kind: Kind

    public init(_ kind: Kind = .standard) { self.kind = kind }

    /// Reads `N` or `P%`.
    public init?(argument: String) {
        if argument.hasSuffix("%"), let p = Double(argument.dropLast()), p >= 0, p <= 100 {
            kind = .percent(p)
        } else if let n = Int(argument), n >= 0 {
            kind = .count(n)
        } else {
            return nil
        }
    }

    public func allowed(known: Int) -> Int {
        switch kind {
        case .standard: max(5, known / 10)
        case .count(let n): n
        case .percent(let p): Int((Double(known) * p / 100).rounded(.down))
        case .unlimited: Int.max
        }
    }
}

/// One side of a UID as this run found it.
enum SyncSideState: Sendable {
    case absent
    /// The local entry exists but could not be read: neither a change nor a deletion.
    case unknown(String)
    case present(events: [SyncEvent], hash: String)

    var events: [SyncEvent]? { if case .present(let e, _) = self { e } else { nil } }
    var hash: String? { if case .present(_, let h) = self { h } else { nil } }
}

/// The decision for one UID.
enum SyncDecision: Equatable, Sendable {
    /// Nothing to write (unchanged, excluded, or unknown).
    case none
    /// Present on both sides alike with no record yet (a first sync, or a run cut short after
    /// writing): the state learns the pair, nothing is written.
    case link
    /// Write these events to the side (create or update).
    case put(local: [SyncEvent]?, google: [SyncEvent]?)
    case delete(SyncSide)
    /// Gone on both sides: the state forgets it.
    case forget
    /// Changed on both sides in a way the policy does not settle: nothing is written, it stays
    /// a conflict until one side changes it.
    case conflict([String])
    /// The local entry could not be read: left alone on both sides.
    case unknown(String)
}

/// Decides one UID from the state's record and what each side holds now. Pure: the engine
/// gathers the sides, this says what to do, the engine does it.
struct SyncDecider: Sendable {
    var policy: ConflictPolicy

    /// `localModified` and `googleModified`: seconds since the epoch of the last edit each side
    /// reports, for `--conflict newer`.
    func decide(record: SyncState.Record?, local: SyncSideState, google: SyncSideState,
                localModified: Int? = nil, googleModified: Int? = nil) -> SyncDecision {
        if record?.excluded == true { return .none }
        if case .unknown(let why) = local { return .unknown(why) }
        let localChanged = local.hash != record?.localHash
        let googleChanged = google.hash != record?.googleHash
        switch (local, google) {
        case (.present(let l, _), .present(let g, _)):
            guard let record, record.isOnLocal, record.isOnGoogle else {
                // Both sides hold it and the state does not know the pair.
                if l == g { return .link }
                return resolve(base: nil, local: l, google: g, localModified: localModified, googleModified: googleModified)
            }
            switch (localChanged, googleChanged) {
            case (false, false): return .none
            case (true, false): return l == record.agreed ? .link : .put(local: nil, google: l)
            case (false, true): return g == record.agreed ? .link : .put(local: g, google: nil)
            case (true, true):
                if l == g { return .link }
                return resolve(base: record.agreed, local: l, google: g, localModified: localModified, googleModified: googleModified)
            }
        case (.present(let l, _), .absent):
            // Gone from Google: deleted there, unless it was never there or was edited here since.
            guard let record, record.isOnGoogle else { return .put(local: nil, google: l) }
            return localChanged ? .put(local: nil, google: l) : .delete(.local)
        case (.absent, .present(let g, _)):
            guard let record, record.isOnLocal else { return .put(local: g, google: nil) }
            return googleChanged ? .put(local: g, google: nil) : .delete(.google)
        case (.absent, .absent):
            return record == nil ? .none : .forget
        case (.unknown, _):
            return .none  // handled above
        case (.present, .unknown), (.absent, .unknown):
            return .none  // Google is never unknown
        }
    }

    func resolve(base: [SyncEvent]?, local l: [SyncEvent], google g: [SyncEvent],
                 localModified: Int?, googleModified: Int?) -> SyncDecision {
        switch policy {
        case .local: return .put(local: nil, google: l)
        case .google: return .put(local: g, google: nil)
        case .newer:
            if (localModified ?? 0) > (googleModified ?? 0) { return .put(local: nil, google: l) }
            return .put(local: g, google: nil)
        case .fail: return .conflict(["changed on both sides"])
        case .merge:
            let m = SyncMerge.merge(base: base ?? [], local: l, google: g)
            if !m.conflicts.isEmpty { return .conflict(m.conflicts) }
            return .put(local: m.events == l ? nil : m.events, google: m.events == g ? nil : m.events)
        }
    }
}

/// Why a sync refused to run: nothing was written.
public struct SyncRefusal: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var advice: String

    public var description: String { message + "\n  " + advice }

    var failure: Failure { Failure(message: message, advice: advice, outcome: .refused) }
}

/// What a sync plans per side, for `--dry-run`, the report and the deletion limits.
public struct SyncPlanSummary: Sendable, Codable, Equatable {
    public struct Side: Sendable, Codable, Equatable {
        public var create: [String] = []
        public var update: [String] = []
        public var delete: [String] = []
        public init() {}
    }
    public var local = Side()
    public var google = Side()
    public var linked: [String] = []
    public var conflicts: [String: [String]] = [:]
    public var unknown: [String: String] = [:]
    /// Guests of the events the sync creates, changes or deletes in Google, by e-mail domain:
    /// whom Google would write to with `--send-updates all` (the organizer is not counted).
    public var guestsByDomain: [String: Int] = [:]
    public init() {}

    public var guests: Int { guestsByDomain.values.reduce(0, +) }

    mutating func countGuests(_ attendees: [CalendarUser], organizer: String?) {
        for a in attendees {
            guard let email = a.email?.lowercased(), email != organizer?.lowercased(),
                  let at = email.lastIndex(of: "@") else { continue }
            guestsByDomain[String(email[email.index(after: at)...]), default: 0] += 1
        }
    }
}
