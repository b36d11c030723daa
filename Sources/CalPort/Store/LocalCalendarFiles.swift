#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import GoogleCalendar
import ICalendar
import SystemSupport

/// A local calendar as a whole could not be used: its folder is missing, its file is not
/// iCalendar, a read or write failed.
public struct LocalStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What tells cheaply whether a file may have changed: device, inode, size and modification
/// time. An atomic replacement gives a new inode; an edit in place a new mtime or size.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int
    var modifiedNanoseconds: Int

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        #if canImport(Darwin)
        modified = Int(st.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int(st.st_mtimespec.tv_nsec)
        #else
        modified = Int(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int(st.st_mtim.tv_nsec)
        #endif
    }

    /// The identity of the file at `path`; nil when there is none.
    static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }
}

/// File reading, digests and the iCalendar text of `CalendarObject`s, shared by the folder and
/// the single-file store.
enum LocalCalendarFiles {
    /// A file's bytes and identity (taken from the open file); nil when there is no file.
    static func read(_ path: String) throws -> (bytes: [UInt8], identity: FileIdentity)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw LocalStoreError(FileError(path: path, operation: "open").description)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LocalStoreError(FileError(path: path, operation: "read").description) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw LocalStoreError("\(path): not a regular file") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { readSome(fd, $0.baseAddress!, $0.count) }
            if n < 0 { throw LocalStoreError(FileError(path: path, operation: "read").description) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return (bytes, FileIdentity(st))
    }

    /// The version of content: the SHA-256 of its bytes, in hex.
    static func digest(_ bytes: [UInt8]) -> String { SHA256Digest.hex(SHA256Digest.hash(bytes)) }

    /// A calendar read whole: its events with their lines, its zones, and the errors that make
    /// parts of it unreadable (warnings go to `diagnostics`).
    struct Parsed {
        var info = CalendarInfo()
        var zones: [TimeZoneDefinition] = []
        var events: [(event: Event, line: Int)] = []
        /// Components other than VEVENT and VTIMEZONE (VTODO, VJOURNAL, …).
        var others: [(component: String, line: Int)] = []
        var errors: [Diagnostic] = []
    }

    static func parse(_ bytes: [UInt8], name: String, naming: ZoneNaming, zoneCache: ZoneParseCache? = nil,
                      diagnostics: DiagnosticSink?) -> Parsed {
        let collector = DiagnosticCollector()
        var out = Parsed()
        let reader = ICalendarReader(bytes: bytes, name: name, naming: naming, zoneCache: zoneCache, diagnostics: collector)
        do {
            while let item = try reader.next() {
                switch item {
                case .calendar(let i): out.info = i
                case .timeZone(let z): out.zones.append(z)
                case .event(let e, let line): out.events.append((e, line))
                case .skipped(let c, let line): out.others.append((c, line))
                }
            }
        } catch {
            out.errors.append(Diagnostic(.error, "\(error)", file: name))
        }
        for d in collector.diagnostics {
            if d.severity == .error { out.errors.append(d) } else { diagnostics?.emit(d) }
        }
        return out
    }

    /// One UID's events as an object (series first, then overrides by RECURRENCE-ID), or why
    /// they cannot be one: two series, or two overrides of the same occurrence.
    static func object(uid: String, events: [Event]) -> Result<CalendarObject, LocalStoreError> {
        let ordered = self.ordered(events)
        var seen: Set<String> = []
        for e in ordered {
            let key = e.recurrenceID.map(occurrenceKey) ?? "series"
            guard seen.insert(key).inserted else {
                return .failure(LocalStoreError(e.recurrenceID == nil ? "UID \(uid) has two VEVENTs without RECURRENCE-ID"
                                                    : "UID \(uid) has two VEVENTs for RECURRENCE-ID \(e.recurrenceID!.icalValue)"))
            }
        }
        return .success(CalendarObject(uid: uid, events: ordered))
    }

    /// The series (or single event) first, then the overrides in the order of their occurrences.
    static func ordered(_ events: [Event]) -> [Event] {
        events.enumerated().sorted { a, b in
            switch (a.element.recurrenceID, b.element.recurrenceID) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                let kx = sortKey(x), ky = sortKey(y)
                return kx != ky ? kx < ky : a.offset < b.offset
            }
        }.map(\.element)
    }

    private static func sortKey(_ t: EventTime) -> Int { t.instant ?? t.localDateTime.secondsSinceEpoch }
    private static func occurrenceKey(_ t: EventTime) -> String { t.instant.map(String.init) ?? t.icalValue }

    /// The text of an object's VEVENTs, each preceded by the VTIMEZONEs it is the first to use
    /// unless `zonesPresent` holds them; with `calendar`, inside a whole VCALENDAR (PRODID,
    /// VERSION). `definitions`: VTIMEZONEs to write for TZIDs the tz database lacks.
    static func render(_ objects: [CalendarObject], calendar: Bool, zonesPresent: Set<String> = [],
                       definitions: [String: TimeZoneDefinition], diagnostics: DiagnosticSink?) throws -> [UInt8] {
        var text = ""
        let sink: DiagnosticSink = diagnostics ?? DiagnosticCollector()
        let writer = ICalendarWriter(fallbackTimestamp: now, diagnostics: sink) { text += $0 }
        for d in definitions.values { writer.addDefinition(d) }
        if calendar { try writer.begin(CalendarInfo()) } else { writer.beginFragment(zonesPresent: zonesPresent) }
        for o in objects {
            for e in ordered(o.events) { try writer.write(e) }
        }
        if calendar { try writer.end() } else { try writer.finish() }
        return Array(text.utf8)
    }

    static var now: LocalDateTime { LocalDateTime(secondsSinceEpoch: Int(time(nil))) }

    /// The events, each without DTSTAMP, LAST-MODIFIED and CREATED given DTSTAMP now, so
    /// every rendering of them gives the same text.
    static func stamped(_ events: [Event]) -> [Event] {
        let stamp = now
        return events.map { e in
            guard e.timestamp == nil && e.lastModified == nil && e.created == nil else { return e }
            var e = e
            e.timestamp = stamp
            return e
        }
    }

    /// Every TZID the events name.
    static func zonesUsed(by objects: [CalendarObject]) -> Set<String> {
        Set(objects.flatMap { $0.events.flatMap(ICalendarWriter.zonesUsed) })
    }

    /// How a failed write is reported as an outcome.
    static func failure(_ error: Error) -> StoreOutcome<CalendarObject> {
        if let e = error as? FileError {
            return .failed(message: e.description, transient: e.code == EINTR || e.code == EAGAIN || e.code == ENOSPC)
        }
        return .failed(message: "\(error)", transient: false)
    }
}
