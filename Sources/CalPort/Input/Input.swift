#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// One step of a conversion stream.
public enum StreamItem {
    case calendar(CalendarInfo)
    case timeZone(TimeZoneDefinition)
    /// An event and where it came from (a line number, or an index for JSON items).
    case event(Event, location: Int?)
    /// An event a source's worker threads already wrote as iCalendar text, when asked to
    /// (`ICalendarEncodingSource`): the writing thread then copies it and never touches the
    /// event itself, which stays in the cache of the core that made it.
    case encoded(ICalendarWriter.EncodedEvent, location: Int?)
}

/// A source that maps events on worker threads and can have them write each event as
/// iCalendar text there too (`StreamItem.encoded`).
protocol ICalendarEncodingSource: EventSource {
    /// Set before the first `next()` to have events come encoded, with this DTSTAMP for those
    /// that carry none; a source may still give some as `.event`.
    var encodingFallbackTimestamp: LocalDateTime? { get set }
}

/// Something events are read from.
public protocol EventSource: AnyObject {
    var name: String { get }
    func next() throws -> StreamItem?
}

public struct InputError: Error, CustomStringConvertible {
    public var description: String
    /// True when the input exists but is not valid data (exit 65), false for I/O problems.
    public var isDataError: Bool
}

/// An opened input with its first bytes read, so the format can be detected even on stdin.
public final class Input {
    public let name: String
    /// Where it is read from ("-": standard input).
    let path: String
    let fd: Int32
    let prefix: [UInt8]
    private let owned: Bool

    /// `displayName` names the input in messages instead of `path` (a fetched URL's temporary copy).
    public init(path: String, name displayName: String? = nil) throws {
        self.path = path
        if path == "-" {
            name = "-"
            fd = 0
            owned = false
        } else {
            let f = open(path, O_RDONLY)
            guard f >= 0 else {
                throw InputError(description: "\(path): cannot open: \(String(cString: strerror(errno)))", isDataError: false)
            }
            var st = stat()
            if fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                close(f)
                throw InputError(description: "\(path): is a directory", isDataError: false)
            }
            name = displayName ?? path
            fd = f
            owned = true
        }
        var buf = [UInt8](repeating: 0, count: 64 << 10)
        var got = 0
        let descriptor = fd
        while got < buf.count {
            let n = buf.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + got, $0.count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        prefix = Array(buf[0..<got])
    }

    deinit { if owned { close(fd) } }

    /// A regular file (it can be read again at any offset), not a pipe or a terminal.
    var isRegularFile: Bool {
        var st = stat()
        return owned && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether the input contains `text`: the whole file for a regular file (read again
    /// through its own descriptor), the first 64 KiB otherwise.
    func mentions(_ text: String) -> Bool {
        let needle = Bytes.Needle(text)
        if Bytes.contains(prefix, needle) { return true }
        guard owned else { return false }
        let f = open(path, O_RDONLY)
        guard f >= 0 else { return false }
        defer { close(f) }
        // Each read lands after the last `needle.count - 1` bytes of the one before, so a match
        // across two reads is found, and nothing is copied but those few bytes.
        let keep = needle.bytes.count - 1
        var buf = [UInt8](repeating: 0, count: keep + (1 << 20))
        var held = 0
        while true {
            let n = buf.withUnsafeMutableBytes { read(f, $0.baseAddress! + held, $0.count - held) }
            if n <= 0 { return false }
            let end = held + n
            if buf.withUnsafeBytes({ Bytes.contains(UnsafeRawBufferPointer(rebasing: $0[..<end]), needle) }) { return true }
            held = min(keep, end)
            buf.withUnsafeMutableBytes { b in
                if held > 0 { _ = memmove(b.baseAddress!, b.baseAddress! + (end - held), held) }
            }
        }
    }

    /// Everything from the start to the end of the input, read into place (sized from the file
    /// when it is a regular file).
    func readAllData() throws -> Data {
        var all = Data()
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 {
            all.reserveCapacity(prefix.count + Int(st.st_size))
        }
        all.append(contentsOf: prefix)
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw InputError(description: "\(name): read error: \(String(cString: strerror(errno)))", isDataError: false) }
            if n == 0 { break }
            buf.withUnsafeBytes { all.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return all
    }
}

extension ZoneNaming {
    /// TZIDs resolve as the Google side names them (Windows and display names, `GMT+0100`),
    /// so the reader places their times with the zone Google gets; what nothing resolves is
    /// placed in `--default-tz` when it is given.
    static func calport(_ mapping: MappingOptions) -> ZoneNaming {
        ZoneNaming(ianaName: { TimeZoneNames.ianaName(for: $0) }, fallback: mapping.defaultTimeZone)
    }
}
