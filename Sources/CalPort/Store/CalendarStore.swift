import CalendarModel

/// A calendar calport can list, read changes from and write to: a Google calendar, an .ics
/// file, a folder of .ics files (one per UID, as khal and vdirsyncer keep them), and in tests
/// an in-memory calendar. Push, pull, archive and verify work through it, and so will two-way
/// sync and a CalDAV store.
///
/// Each store speaks its own `Item`: Google stores hold Google Event resources (one per series,
/// single event, override or cancelled occurrence, as Google keeps them); local stores hold
/// `CalendarObject`s (one UID: its series and overrides, as a file holds them). Conversion
/// between the two is the mapping's job (`GoogleEventMapper`, `SeriesShapes`), not the store's.
///
/// Every entry has an `id`, stable for the entry's life in that store (a Google event id; a
/// file name; a UID), and a `version` that changes whenever its content does (an etag; a
/// digest). Writes name the version they expect (`ifMatch`): a store refuses a write over
/// an entry that changed since it was read (`.preconditionFailed`) instead of overwriting it.
public protocol CalendarStore: AnyObject, Sendable {
    associatedtype Item: Sendable

    /// Where the calendar is, for messages: `google:ID`, a path.
    var location: String { get }

    /// Every entry (`since` nil), or the entries changed since a token an earlier listing
    /// returned, deletions included as entries without an item. A token the store no longer
    /// honours throws `StoreError.tokenExpired`; the caller lists everything again.
    func list(since token: String?) async throws -> StoreListing<Item>

    /// Applies the changes and gives one outcome per change, in the same order. Changes are
    /// independent unless a store documents otherwise; `progress` hears each outcome as it comes
    /// (in any order), so a journal can record it before the batch ends. A failure of one change
    /// does not stop the others.
    func apply(_ changes: [StoreChange<Item>],
               progress: (@Sendable (_ index: Int, _ outcome: StoreOutcome<Item>) -> Void)?) async -> [StoreOutcome<Item>]

    /// Makes the applied changes durable where the store defers writing (an .ics file is
    /// written once, atomically, here; if another program changed it since it was listed, the
    /// write is abandoned and this throws `StoreError.changedSinceListing`). Stores that write
    /// as they apply do nothing.
    func commit() async throws
}

extension CalendarStore {
    public func apply(_ changes: [StoreChange<Item>]) async -> [StoreOutcome<Item>] {
        await apply(changes, progress: nil)
    }

    public func commit() async throws {}
}

extension CalendarStore {
    /// Applies the changes one after the other with `one`, telling `progress` each outcome as
    /// it comes: the `apply` of stores that write each change on its own.
    func applyOneByOne(_ changes: [StoreChange<Item>], progress: (@Sendable (Int, StoreOutcome<Item>) -> Void)?,
                       _ one: (StoreChange<Item>) -> StoreOutcome<Item>) -> [StoreOutcome<Item>] {
        var outcomes: [StoreOutcome<Item>] = []
        outcomes.reserveCapacity(changes.count)
        for (i, change) in changes.enumerated() {
            let outcome = one(change)
            progress?(i, outcome)
            outcomes.append(outcome)
        }
        return outcomes
    }
}

/// One entry of a store.
public struct StoreEntry<Item: Sendable>: Sendable {
    public var id: String
    public var version: String
    /// Nil: the entry was deleted (a listing since a token reports deletions this way).
    public var item: Item?

    public init(id: String, version: String, item: Item?) {
        self.id = id
        self.version = version
        self.item = item
    }

    public var isDeleted: Bool { item == nil }
}

/// What `CalendarStore.list` found.
public struct StoreListing<Item: Sendable>: Sendable {
    public var entries: [StoreEntry<Item>]
    /// True for a full listing (an entry not in it does not exist); false for changes since
    /// a token (an entry not in it did not change).
    public var isComplete: Bool
    /// Give this to the next `list(since:)` for the changes after this listing; nil when the
    /// store has no change tokens (then every listing is complete).
    public var nextToken: String?
    /// The calendar's name, description and zone, where the store has them.
    public var info: CalendarInfo
    /// Entries that exist but could not be read (a file that does not parse, a file holding
    /// several UIDs). Their content is unknown: a sync must treat them as neither present nor
    /// deleted, and leave them alone.
    public var unreadable: [UnreadableEntry]

    public init(entries: [StoreEntry<Item>], isComplete: Bool, nextToken: String?, info: CalendarInfo = CalendarInfo(),
                unreadable: [UnreadableEntry] = []) {
        self.entries = entries
        self.isComplete = isComplete
        self.nextToken = nextToken
        self.info = info
        self.unreadable = unreadable
    }
}

/// An entry a store has but could not read.
public struct UnreadableEntry: Sendable, Hashable {
    /// The id it would have (a file name; a UID), or where it is (`line 12`) when it has none.
    public var id: String
    /// Why, naming the file and line where known (`cal.ics:12: error: …`).
    public var message: String

    public init(id: String, message: String) {
        self.id = id
        self.message = message
    }
}

/// One write.
public enum StoreChange<Item: Sendable>: Sendable {
    /// A new entry. `id` asks for that id where the store lets the writer choose (Google's
    /// client-chosen event ids, a file name); nil lets the store choose.
    case create(Item, id: String?)
    /// Replaces the entry's content; `ifMatch` is the version the writer last saw (nil: any).
    case update(id: String, Item, ifMatch: String?)
    /// Removes the entry; `ifMatch` as for update.
    case delete(id: String, ifMatch: String?)
}

/// What came of one change.
public enum StoreOutcome<Item: Sendable>: Sendable {
    /// Done: the entry as the store now holds it (for a delete, its id and no item).
    case done(StoreEntry<Item>)
    /// The entry changed since `ifMatch` was read (HTTP 412; a file rewritten by another program).
    case preconditionFailed
    /// No entry with that id (deleted meanwhile; HTTP 404/410).
    case notFound
    /// A create with a chosen id met an existing entry (HTTP 409).
    case alreadyExists
    /// Anything else; `transient` when trying again later may succeed (5xx, quota, network).
    case failed(message: String, transient: Bool)
}

/// One UID of a local calendar: the series (or single event) and its overrides, as one file
/// of a folder store holds them.
public struct CalendarObject: Hashable, Sendable {
    public var uid: String
    /// The series or single event first (when there is one), then overrides by RECURRENCE-ID.
    public var events: [Event]

    public init(uid: String, events: [Event]) {
        self.uid = uid
        self.events = events
    }
}

public enum StoreError: Error, Sendable, Equatable {
    /// The change token is no longer valid (Google's 410 GONE on a sync token).
    case tokenExpired
    /// The local calendar changed while calport was working on it; nothing was written.
    case changedSinceListing(path: String)
}
