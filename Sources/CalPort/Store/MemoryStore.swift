import CalendarModel
import SystemSupport

/// A calendar in memory, for tests of what works through `CalendarStore` (sync above all):
/// entries with version counters, change tokens (a counter: `list(since:)` gives what changed
/// after it, deletions as entries without an item), and faults to inject. Tests change it
/// behind the caller's back with `put` and `remove`, as another client would.
public final class MemoryStore<Item: Sendable>: CalendarStore, @unchecked Sendable {
    public let location: String
    private let lock = Lock()
    private var items: [String: (version: Int, item: Item)] = [:]
    /// The last change of each id: its sequence number (a deletion keeps its id here).
    private var changed: [String: (sequence: Int, version: Int)] = [:]
    private var sequence = 0
    private var versionCounter = 0
    private var idCounter = 0
    /// Tokens are `epoch.sequence`; those of an earlier epoch throw `tokenExpired`.
    private var epoch = 0
    private var faults: [String: Fault] = [:]
    private var unreadableEntries: [UnreadableEntry] = []
    public private(set) var info: CalendarInfo
    /// How many times `list` and `apply` were called, and how many changes were applied.
    public private(set) var listCount = 0
    public private(set) var applyCount = 0
    public private(set) var changesApplied = 0

    /// What the next apply of an id does instead of the change.
    public enum Fault: Sendable {
        case preconditionFailed
        case transient(String)
        case failed(String)
    }

    public init(location: String = "memory:", info: CalendarInfo = CalendarInfo()) {
        self.location = location
        self.info = info
    }

    // MARK: Test controls

    /// Makes the next change to `id` (or the next create with that id) fail this way, once.
    public func injectFault(_ fault: Fault, onNextApplyTo id: String) { lock.withLock { faults[id] = fault } }

    /// Tokens given out so far throw `tokenExpired` (Google's 410 on an old sync token).
    public func expireTokens() { lock.withLock { epoch += 1 } }

    /// Entries that exist but cannot be read, listed as such.
    public func setUnreadable(_ entries: [UnreadableEntry]) { lock.withLock { unreadableEntries = entries } }

    /// Creates or replaces an entry as another client would; its new version.
    @discardableResult
    public func put(id: String, _ item: Item) -> String { lock.withLock { store(id, item) } }

    /// Removes an entry as another client would.
    public func remove(id: String) { lock.withLock { drop(id) } }

    /// The entries now, by id.
    public var snapshot: [String: Item] { lock.withLock { items.mapValues(\.item) } }

    public func version(of id: String) -> String? { lock.withLock { items[id].map { String($0.version) } } }

    // MARK: CalendarStore

    public func list(since token: String?) async throws -> StoreListing<Item> {
        try lock.withLock {
            listCount += 1
            let next = "\(epoch).\(sequence)"
            guard let token else {
                let entries = items.keys.sorted().map { StoreEntry(id: $0, version: String(items[$0]!.version), item: items[$0]!.item) }
                return StoreListing(entries: entries, isComplete: true, nextToken: next, info: info, unreadable: unreadableEntries)
            }
            let parts = token.split(separator: ".")
            guard parts.count == 2, Int(parts[0]) == epoch, let after = Int(parts[1]), after <= sequence else { throw StoreError.tokenExpired }
            let ids = changed.filter { $0.value.sequence > after }.sorted { $0.value.sequence < $1.value.sequence }.map(\.key)
            let entries = ids.map { id in
                StoreEntry(id: id, version: String(items[id]?.version ?? changed[id]!.version), item: items[id]?.item)
            }
            return StoreListing(entries: entries, isComplete: false, nextToken: next, info: info, unreadable: unreadableEntries)
        }
    }

    public func apply(_ changes: [StoreChange<Item>],
                      progress: (@Sendable (Int, StoreOutcome<Item>) -> Void)?) async -> [StoreOutcome<Item>] {
        applyOneByOne(changes, progress: progress) { change in lock.withLock { applyLocked(change) } }
    }

    private func applyLocked(_ change: StoreChange<Item>) -> StoreOutcome<Item> {
        applyCount += 1
        let id: String
        switch change {
        case .create(_, let chosen):
            idCounter += 1
            id = chosen ?? "m\(idCounter)"
        case .update(let i, _, _), .delete(let i, _): id = i
        }
        if let fault = faults.removeValue(forKey: id) {
            switch fault {
            case .preconditionFailed: return .preconditionFailed
            case .transient(let m): return .failed(message: m, transient: true)
            case .failed(let m): return .failed(message: m, transient: false)
            }
        }
        switch change {
        case .create(let item, _):
            guard items[id] == nil else { return .alreadyExists }
            changesApplied += 1
            return .done(StoreEntry(id: id, version: store(id, item), item: item))
        case .update(_, let item, let ifMatch):
            guard let current = items[id] else { return .notFound }
            if let ifMatch, ifMatch != String(current.version) { return .preconditionFailed }
            changesApplied += 1
            return .done(StoreEntry(id: id, version: store(id, item), item: item))
        case .delete(_, let ifMatch):
            guard let current = items[id] else { return .notFound }
            if let ifMatch, ifMatch != String(current.version) { return .preconditionFailed }
            changesApplied += 1
            return .done(StoreEntry(id: id, version: drop(id), item: nil))
        }
    }

    private func store(_ id: String, _ item: Item) -> String {
        versionCounter += 1
        sequence += 1
        items[id] = (versionCounter, item)
        changed[id] = (sequence, versionCounter)
        return String(versionCounter)
    }

    @discardableResult
    private func drop(_ id: String) -> String {
        guard items.removeValue(forKey: id) != nil else { return changed[id].map { String($0.version) } ?? "0" }
        versionCounter += 1
        sequence += 1
        changed[id] = (sequence, versionCounter)
        return String(versionCounter)
    }
}
