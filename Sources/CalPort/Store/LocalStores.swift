import CalendarModel
import Foundation
import GoogleCalendar
import SystemSupport

/// A folder of .ics files, one per UID (its series and overrides), as khal and vdirsyncer keep
/// calendars. An entry's id is its file name, its version a digest of the file's bytes; files
/// are written atomically (a temporary file, fsync, rename) and a changed event keeps its file
/// name. Hidden files, `.tmp` files and files not ending in `.ics` are not calendar entries.
public final class ICSFolderStore: CalendarStore, @unchecked Sendable {
    public typealias Item = CalendarObject
    public let path: String
    let codec: ICSCodec
    private let lock = Lock()

    public init(path: String, mapping: MappingOptions = MappingOptions()) {
        self.path = path
        codec = ICSCodec(mapping: mapping)
    }

    public var location: String { path }

    static func isEntry(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.lowercased().hasSuffix(".ics") && !name.contains(AtomicFile.temporaryMarker)
    }

    public func list(since token: String?) async throws -> StoreListing<CalendarObject> {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).filter(Self.isEntry).sorted() } catch {
            throw Failure(message: "\(path): cannot read the folder: \(error.localizedDescription)", outcome: .failure)
        }
        var listing = StoreListing<CalendarObject>(entries: [], isComplete: true, nextToken: nil)
        for name in names {
            let file = path + "/" + name
            guard let data = FileManager.default.contents(atPath: file) else {
                listing.unreadable.append(UnreadableEntry(id: name, message: "\(file): cannot be read"))
                continue
            }
            let bytes = [UInt8](data)
            switch codec.events(String(decoding: bytes, as: UTF8.self), name: file) {
            case .failure(let why):
                listing.unreadable.append(UnreadableEntry(id: name, message: why.message))
            case .success(let (events, _)):
                let uids = Set(events.compactMap(\.uid))
                if uids.count > 1 {
                    listing.unreadable.append(UnreadableEntry(id: name, message: "\(file): holds \(uids.count) UIDs (\(uids.sorted().prefix(3).joined(separator: ", "))); a calendar folder keeps one UID a file"))
                } else if let uid = uids.first {
                    listing.entries.append(StoreEntry(id: name, version: ICSCodec.digest(bytes), item: CalendarObject(uid: uid, events: events)))
                } else if !events.isEmpty {
                    listing.unreadable.append(UnreadableEntry(id: name, message: "\(file): an event has no UID"))
                }
            }
        }
        return listing
    }

    /// A file name for a UID: the UID itself when it is plainly a name, else a digest of it.
    static func fileName(for uid: String) -> String {
        let plain = uid.utf8.count <= 200 && !uid.isEmpty && !uid.hasPrefix(".")
            && uid.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "@._-+=".unicodeScalars.contains($0) }
        return (plain ? uid : String(ICSCodec.digest(Array(uid.utf8)).prefix(32))) + ".ics"
    }

    func currentVersion(_ name: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + name).map { ICSCodec.digest([UInt8]($0)) }
    }

    public func apply(_ changes: [StoreChange<CalendarObject>],
                      progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?) async -> [StoreOutcome<CalendarObject>] {
        applyInOrder(changes, lock: lock, progress: progress, apply)
    }

    func apply(_ change: StoreChange<CalendarObject>) -> StoreOutcome<CalendarObject> {
        switch change {
        case .create(let object, let id):
            let name = id ?? Self.fileName(for: object.uid)
            guard Self.isEntry(name), !name.contains("/") else {
                return .failed(message: "\(name): not a calendar file name", transient: false)
            }
            if FileManager.default.fileExists(atPath: path + "/" + name) { return .alreadyExists }
            return write(object, name: name)
        case .update(let name, let object, let ifMatch):
            guard let current = currentVersion(name) else { return .notFound }
            if let ifMatch, ifMatch != current { return .preconditionFailed }
            return write(object, name: name)
        case .delete(let name, let ifMatch):
            guard let current = currentVersion(name) else { return .notFound }
            if let ifMatch, ifMatch != current { return .preconditionFailed }
            guard unlink(path + "/" + name) == 0 else {
                return .failed(message: "\(path)/\(name): cannot delete: \(String(cString: strerror(errno)))", transient: false)
            }
            return .done(StoreEntry(id: name, version: "", item: nil))
        }
    }

    func write(_ object: CalendarObject, name: String) -> StoreOutcome<CalendarObject> {
        let bytes = Array(codec.file(object.events).utf8)
        do {
            try AtomicFile.write(bytes, to: path + "/" + name)
        } catch {
            return .failed(message: error.description, transient: false)
        }
        return .done(StoreEntry(id: name, version: ICSCodec.digest(bytes), item: object))
    }
}

/// One .ics file as a calendar: read whole at `list`, changed in memory by `apply`, written
/// once, atomically, by `commit`, and only when something changed. What it does not manage is
/// written back as it was read: the calendar's properties, VTIMEZONEs, VTODOs and the other
/// components, events it could not read, and every event no change touched. If the file was
/// changed by another program since `list`, `commit` writes nothing and throws
/// `StoreError.changedSinceListing`.
public final class ICSFileStore: CalendarStore, @unchecked Sendable {
    public typealias Item = CalendarObject
    public let path: String
    let codec: ICSCodec
    private let lock = Lock()

    /// What `list` read: the file's digest, its cut-up text, the objects by UID.
    private var readDigest: String?
    private var text = ICSText()
    /// UID → the object as it now stands (nil: deleted), for UIDs changed since `list`.
    private var changed: [String: CalendarObject?] = [:]
    /// The VTIMEZONE and VEVENT blocks of each changed UID, rendered once by `apply`.
    private var rendered: [String: [ICSText.Block]] = [:]
    private var objects: [String: CalendarObject] = [:]
    private var versions: [String: String] = [:]

    public init(path: String, mapping: MappingOptions = MappingOptions()) {
        self.path = path
        codec = ICSCodec(mapping: mapping)
    }

    public var location: String { path }

    static func digest(ofFileAt path: String) -> String? {
        FileManager.default.contents(atPath: path).map { ICSCodec.digest([UInt8]($0)) }
    }

    public func list(since token: String?) async throws -> StoreListing<CalendarObject> {
        try lock.withLock {
            var listing = StoreListing<CalendarObject>(entries: [], isComplete: true, nextToken: nil)
            changed = [:]
            rendered = [:]
            objects = [:]
            versions = [:]
            guard let data = FileManager.default.contents(atPath: path) else {
                if FileManager.default.fileExists(atPath: path) {
                    throw Failure(message: "\(path): cannot be read", outcome: .failure)
                }
                readDigest = nil
                text = ICSText()
                text.header = ICSCodec.header
                return listing
            }
            let bytes = [UInt8](data)
            readDigest = ICSCodec.digest(bytes)
            text = ICSText(String(decoding: bytes, as: UTF8.self))
            if let problem = text.problem {
                throw Failure(message: "\(path): \(problem)", advice: "calport rewrites only a file holding one VCALENDAR", outcome: .dataError)
            }
            // The VEVENTs of each UID are read together, with the file's zones.
            var byUID: [String: [ICSText.Block]] = [:]
            var order: [String] = []
            for b in text.blocks where b.name == "VEVENT" {
                let uid = b.uid ?? ""
                if byUID[uid] == nil { order.append(uid) }
                byUID[uid, default: []].append(b)
            }
            let zones = text.timeZones.map(\.lines)
            for uid in order {
                let blocks = byUID[uid]!
                let id = uid.isEmpty ? "line \(blocks[0].line)" : uid
                if uid.isEmpty {
                    listing.unreadable.append(UnreadableEntry(id: id, message: "\(path): line \(blocks[0].line): a VEVENT without UID"))
                    continue
                }
                let raw = ICSText.calendar(header: ICSCodec.header, blocks: zones + blocks.map(\.lines))
                switch codec.events(raw, name: path) {
                case .failure(let why):
                    listing.unreadable.append(UnreadableEntry(id: uid, message: "\(path): line \(blocks[0].line) (UID \(uid)): \(why.message)"))
                case .success(let (events, _)):
                    let object = CalendarObject(uid: uid, events: events)
                    let version = ICSCodec.digest(Array(blocks.flatMap(\.lines).joined(separator: "\n").utf8))
                    objects[uid] = object
                    versions[uid] = version
                    listing.entries.append(StoreEntry(id: uid, version: version, item: object))
                }
            }
            var info = CalendarInfo()
            info.name = ICSText.value(of: "X-WR-CALNAME", in: ["BEGIN:X"] + text.header + ["END:X"]).map(ICalText.unescape)
            info.timeZone = ICSText.value(of: "X-WR-TIMEZONE", in: ["BEGIN:X"] + text.header + ["END:X"])
            listing.info = info
            return listing
        }
    }

    public func apply(_ changes: [StoreChange<CalendarObject>],
                      progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?) async -> [StoreOutcome<CalendarObject>] {
        applyInOrder(changes, lock: lock, progress: progress, apply)
    }

    func exists(_ uid: String) -> Bool {
        if let c = changed[uid] { return c != nil }
        return objects[uid] != nil
    }

    func apply(_ change: StoreChange<CalendarObject>) -> StoreOutcome<CalendarObject> {
        switch change {
        case .create(let object, _):
            if exists(object.uid) { return .alreadyExists }
            return put(object)
        case .update(let uid, let object, let ifMatch):
            guard exists(uid) else { return .notFound }
            if let ifMatch, changed[uid] == nil, ifMatch != versions[uid] { return .preconditionFailed }
            return put(object)
        case .delete(let uid, let ifMatch):
            guard exists(uid) else { return .notFound }
            if let ifMatch, changed[uid] == nil, ifMatch != versions[uid] { return .preconditionFailed }
            changed[uid] = .some(nil)
            return .done(StoreEntry(id: uid, version: "", item: nil))
        }
    }

    /// Renders the object once; its version is a digest of its VEVENT lines as written, the
    /// same digest `list` gives when it reads them back.
    func put(_ object: CalendarObject) -> StoreOutcome<CalendarObject> {
        let blocks = codec.blocks(object.events)
        changed[object.uid] = object
        rendered[object.uid] = blocks
        let lines = blocks.filter { $0.name == "VEVENT" }.flatMap(\.lines)
        return .done(StoreEntry(id: object.uid, version: ICSCodec.digest(Array(lines.joined(separator: "\n").utf8)), item: object))
    }

    public func commit() async throws {
        try lock.withLock {
            guard !changed.isEmpty else { return }
            // Another program's write since `list` wins: nothing of this run is written.
            guard Self.digest(ofFileAt: path) == readDigest else { throw StoreError.changedSinceListing(path: path) }
            var out: [[String]] = []
            var zonesWritten = Set(text.timeZones.compactMap(\.tzid))
            out += text.timeZones.map(\.lines)
            var newBlocks: [String: [ICSText.Block]] = [:]
            var newZones: [[String]] = []
            for (uid, object) in changed {
                guard object != nil, let blocks = rendered[uid] else { continue }
                for z in blocks where z.name == "VTIMEZONE" {
                    if let tzid = z.tzid, zonesWritten.insert(tzid).inserted { newZones.append(z.lines) }
                }
                newBlocks[uid] = blocks.filter { $0.name == "VEVENT" }
            }
            out += newZones
            // Every other component where it was; each changed UID where its first VEVENT was.
            var placed: Set<String> = []
            for b in text.blocks where b.name != "VTIMEZONE" {
                guard b.name == "VEVENT", let uid = b.uid, changed[uid] != nil else {
                    out.append(b.lines)
                    continue
                }
                if placed.insert(uid).inserted, let blocks = newBlocks[uid] { out += blocks.map(\.lines) }
            }
            for uid in changed.keys.sorted() where !placed.contains(uid) {
                if let blocks = newBlocks[uid] { out += blocks.map(\.lines) }
            }
            let header = text.header.isEmpty ? ICSCodec.header : text.header
            let bytes = Array(ICSText.calendar(header: header, blocks: out).utf8)
            do { try AtomicFile.write(bytes, to: path) } catch {
                throw Failure(message: "\(error)", outcome: .failure)
            }
            readDigest = ICSCodec.digest(bytes)
            changed = [:]
            rendered = [:]
        }
    }
}

/// Applies a local store's changes one after the other under its lock, telling `progress` of
/// each outcome as it comes.
func applyInOrder(_ changes: [StoreChange<CalendarObject>], lock: Lock,
                  progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?,
                  _ apply: (StoreChange<CalendarObject>) -> StoreOutcome<CalendarObject>) -> [StoreOutcome<CalendarObject>] {
    var outcomes: [StoreOutcome<CalendarObject>] = []
    for (i, change) in changes.enumerated() {
        let outcome = lock.withLock { apply(change) }
        progress?(i, outcome)
        outcomes.append(outcome)
    }
    return outcomes
}
