#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar
import SystemSupport

/// A folder of .ics files, one per UID (its series and overrides), as khal and vdirsyncer keep
/// calendars. An entry's id is its file name (`abc@example.com.ics`), kept for the entry's
/// life; its version the SHA-256 of the file's bytes. Hidden files, temporary files and files
/// not ending in `.ics` are not entries. A file that does not parse, or holds several UIDs, or
/// an event beside a VTODO, is listed as unreadable (and never rewritten by a listing's
/// decision); a file holding only other components (a VTODO) is not an entry.
///
/// Every change is written as it is applied: a new file is linked in only where no file is
/// (`.alreadyExists` otherwise), a changed file replaced atomically and flushed. An `ifMatch`
/// is checked against the file's digest just before the write; another program writing in
/// the instant between the check and the rename is not detected (no lock binds other programs).
///
/// Listings are always complete (no change tokens). Parsed files are remembered by
/// (device, inode, size, mtime), so a listing re-reads only files that changed.
public final class ICSFolderStore: CalendarStore, @unchecked Sendable {
    public typealias Item = CalendarObject

    public let path: String
    public var location: String { path }
    private let naming: ZoneNaming
    private let diagnostics: DiagnosticSink?
    private let lock = Lock()
    private var cache: [String: Cached] = [:]
    /// VTIMEZONEs for writing: those of the files read, those added, those made from the tz
    /// database (once per TZID: making one costs more than writing the event).
    private var definitions: [String: TimeZoneDefinition] = [:]
    /// The VTIMEZONEs of the files, parsed once: each file repeats them.
    private let zoneCache = ZoneParseCache()

    private struct Cached {
        var identity: FileIdentity
        var digest: String
        var content: Content
    }

    private enum Content {
        case object(CalendarObject)
        case unreadable(String)
        /// Only components that are not events.
        case noEvents
    }

    /// `mapping`: resolves TZIDs the files do not define, as the reader does for `convert`;
    /// `diagnostics` hears the warnings of reading files (errors make entries unreadable).
    public init(path: String, mapping: MappingOptions = MappingOptions(), diagnostics: DiagnosticSink? = nil) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        naming = .calport(mapping)
        self.diagnostics = diagnostics
    }

    /// VTIMEZONEs to write with events whose TZIDs the tz database does not know (those of
    /// the files listed are remembered on their own).
    public func addZoneDefinitions(_ zones: [TimeZoneDefinition]) {
        lock.withLock { for z in zones where definitions[z.tzid] == nil { definitions[z.tzid] = z } }
    }

    /// The VTIMEZONEs the files listed so far define (and those added).
    public var zoneDefinitions: [TimeZoneDefinition] {
        lock.withLock { definitions.values.sorted { $0.tzid < $1.tzid } }
    }

    public func list(since token: String?) async throws -> StoreListing<CalendarObject> {
        try lock.withLock { try listLocked() }
    }

    private func listLocked() throws -> StoreListing<CalendarObject> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LocalStoreError("\(path): no such folder")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw LocalStoreError("\(path): cannot list the folder: \(error.localizedDescription)")
        }
        var entries: [StoreEntry<CalendarObject>] = []
        var unreadable: [UnreadableEntry] = []
        var seen: Set<String> = []
        for name in names.sorted() where Self.isEntryName(name) {
            let file = path + "/" + name
            guard let identity = FileIdentity.of(file) else { continue }  // removed meanwhile
            var cached = cache[name]
            if cached?.identity != identity {
                do {
                    guard let read = try LocalCalendarFiles.read(file) else { continue }
                    let digest = LocalCalendarFiles.digest(read.bytes)
                    if let c = cached, c.digest == digest {
                        cached = Cached(identity: read.identity, digest: digest, content: c.content)
                    } else {
                        cached = Cached(identity: read.identity, digest: digest, content: content(of: read.bytes, name: file))
                    }
                } catch {
                    // A directory named x.ics, a file that cannot be opened: seen, not readable.
                    unreadable.append(UnreadableEntry(id: name, message: "\(error)"))
                    continue
                }
            }
            guard let cached else { continue }
            cache[name] = cached
            seen.insert(name)
            switch cached.content {
            case .object(let o): entries.append(StoreEntry(id: name, version: cached.digest, item: o))
            case .unreadable(let message): unreadable.append(UnreadableEntry(id: name, message: message))
            case .noEvents: break
            }
        }
        cache = cache.filter { seen.contains($0.key) }
        return StoreListing(entries: entries, isComplete: true, nextToken: nil, unreadable: unreadable)
    }

    /// What a file holds, as an entry.
    private func content(of bytes: [UInt8], name: String) -> Content {
        let parsed = LocalCalendarFiles.parse(bytes, name: name, naming: naming, zoneCache: zoneCache, diagnostics: diagnostics)
        for z in parsed.zones where definitions[z.tzid] == nil { definitions[z.tzid] = z }
        if let e = parsed.errors.first {
            return .unreadable(e.description + (parsed.errors.count > 1 ? " (and \(parsed.errors.count - 1) more errors)" : ""))
        }
        guard let first = parsed.events.first else {
            return parsed.others.isEmpty ? .unreadable("\(name): holds no VEVENT") : .noEvents
        }
        if let other = parsed.others.first {
            return .unreadable("\(name):\(other.line): a \(other.component) beside the events; calport leaves the file as it is")
        }
        let uids = Set(parsed.events.map { $0.event.uid ?? "" })
        guard uids.count == 1, let uid = first.event.uid else {
            return .unreadable("\(name): holds \(uids.count) UIDs (\(uids.sorted().prefix(3).joined(separator: ", "))); a file of this folder holds one")
        }
        switch LocalCalendarFiles.object(uid: uid, events: parsed.events.map(\.event)) {
        case .success(let o): return .object(o)
        case .failure(let e): return .unreadable("\(name): \(e.message)")
        }
    }

    public func apply(_ changes: [StoreChange<CalendarObject>],
                      progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?) async -> [StoreOutcome<CalendarObject>] {
        applyOneByOne(changes, progress: progress) { change in lock.withLock { applyLocked(change) } }
    }

    private func applyLocked(_ change: StoreChange<CalendarObject>) -> StoreOutcome<CalendarObject> {
        switch change {
        case .create(let object, let id):
            let name = id ?? Self.fileName(forUID: object.uid)
            guard Self.isEntryName(name) else { return .failed(message: "\(name): not a name for a file of this folder", transient: false) }
            let file = path + "/" + name
            do {
                let bytes = try render(object)
                let out = try AtomicFile(replacing: file)
                try out.write(bytes)
                do throws(FileError) { try out.commitNew() } catch {
                    if error.code == EEXIST { return .alreadyExists }
                    throw error
                }
                return .done(remember(name, bytes: bytes, object: object))
            } catch {
                return LocalCalendarFiles.failure(error)
            }
        case .update(let name, let object, let ifMatch):
            guard Self.isEntryName(name) else { return .notFound }
            let file = path + "/" + name
            do {
                guard let current = try LocalCalendarFiles.read(file) else { return .notFound }
                if let ifMatch, LocalCalendarFiles.digest(current.bytes) != ifMatch { return .preconditionFailed }
                let bytes = try render(object)
                try AtomicFile.write(bytes, to: file)
                return .done(remember(name, bytes: bytes, object: object))
            } catch {
                return LocalCalendarFiles.failure(error)
            }
        case .delete(let name, let ifMatch):
            guard Self.isEntryName(name) else { return .notFound }
            let file = path + "/" + name
            do {
                guard let current = try LocalCalendarFiles.read(file) else { return .notFound }
                if let ifMatch, LocalCalendarFiles.digest(current.bytes) != ifMatch { return .preconditionFailed }
                guard unlink(file) == 0 else {
                    if errno == ENOENT { return .notFound }
                    return LocalCalendarFiles.failure(FileError(path: file, operation: "remove"))
                }
                AtomicFile.syncDirectory(of: file)
                cache[name] = nil
                return .done(StoreEntry(id: name, version: LocalCalendarFiles.digest(current.bytes), item: nil))
            } catch {
                return LocalCalendarFiles.failure(error)
            }
        }
    }

    private func render(_ object: CalendarObject) throws -> [UInt8] {
        for tzid in LocalCalendarFiles.zonesUsed(by: [object]) where definitions[tzid] == nil {
            definitions[tzid] = ICalendarWriter.databaseDefinition(tzid: tzid)
        }
        return try LocalCalendarFiles.render([object], calendar: true, definitions: definitions, diagnostics: diagnostics)
    }

    /// The entry just written, remembered so the next listing need not read it again.
    private func remember(_ name: String, bytes: [UInt8], object: CalendarObject) -> StoreEntry<CalendarObject> {
        let digest = LocalCalendarFiles.digest(bytes)
        let stored = CalendarObject(uid: object.uid, events: LocalCalendarFiles.ordered(object.events))
        if let identity = FileIdentity.of(path + "/" + name) {
            cache[name] = Cached(identity: identity, digest: digest, content: .object(stored))
        }
        return StoreEntry(id: name, version: digest, item: stored)
    }

    /// Whether a file of the folder is an entry: an .ics file, not hidden (temporary files of
    /// calport, vdirsyncer and editors start with a dot or end in `.tmp`, `~`).
    static func isEntryName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.utf8.contains(0)
            && name.utf8.count <= 255 && name.lowercased().hasSuffix(".ics") && name.lowercased() != ".ics"
    }

    /// The file name for a new UID: the UID itself when it is made only of letters, digits and
    /// `@ . _ - + =` and does not start with a dot (so it never names a hidden file, `..` or
    /// another folder); otherwise a digest of it.
    public static func fileName(forUID uid: String) -> String {
        let safe = !uid.isEmpty && uid.utf8.count <= 200 && !uid.hasPrefix(".") && uid.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "@._-+=".unicodeScalars.contains(c)
        }
        return (safe ? uid : "calport-" + String(LocalCalendarFiles.digest(Array(uid.utf8)).prefix(32))) + ".ics"
    }
}
