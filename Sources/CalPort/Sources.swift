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
    let fd: Int32
    let prefix: [UInt8]
    private let owned: Bool

    public init(path: String) throws {
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
            name = path
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

    /// Whether the input contains `text`: the whole file for a regular file (read again
    /// through its own descriptor), the first 64 KiB otherwise.
    func mentions(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        if Bytes.contains(prefix, needle) { return true }
        guard owned else { return false }
        let f = open(name, O_RDONLY)
        guard f >= 0 else { return false }
        defer { close(f) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var carry: [UInt8] = []
        while true {
            let n = buf.withUnsafeMutableBytes { read(f, $0.baseAddress!, $0.count) }
            if n <= 0 { return false }
            let window = carry + buf[0..<n]
            if Bytes.contains(window, needle) { return true }
            carry = Array(window.suffix(needle.count - 1))
        }
    }

    /// Everything from the start to the end of the input.
    func readAll() throws -> [UInt8] {
        var all = prefix
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw InputError(description: "\(name): read error: \(String(cString: strerror(errno)))", isDataError: false) }
            if n == 0 { break }
            all.append(contentsOf: buf[0..<n])
        }
        return all
    }
}

/// iCalendar input through libical, streamed component by component.
final class ICalendarSource: EventSource {
    let reader: ICalendarReader
    var name: String { reader.name }
    private(set) var skipped: [String: Int] = [:]

    init(_ input: Input, diagnostics: DiagnosticSink) {
        reader = ICalendarReader(fileDescriptor: input.fd, prefix: input.prefix, name: input.name, diagnostics: diagnostics)
    }

    func next() throws -> StreamItem? {
        while let item = try reader.next() {
            switch item {
            case .calendar(let info): return .calendar(info)
            case .timeZone(let def): return .timeZone(def)
            case .event(let e, let line): return .event(e, location: line)
            case .skipped(let component, _): skipped[component, default: 0] += 1
            }
        }
        return nil
    }
}

/// A Google `calendar#events` document, a bare array of events, or a single event.
final class GoogleJSONSource: EventSource {
    let name: String
    private var items: [GoogleEvent] = []
    private var index = 0
    private var info: CalendarInfo?
    private var mapper: GoogleEventMapper
    private let sink: DiagnosticSink

    init(_ input: Input, options: MappingOptions, diagnostics: DiagnosticSink) throws {
        name = input.name
        sink = diagnostics
        let data = Data(try input.readAll())
        let decoder = JSONDecoder()
        var info = CalendarInfo()
        if data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[") {
            items = try GoogleJSONSource.decode([GoogleEvent].self, data, decoder, name)
        } else {
            let envelope = try GoogleJSONSource.decode(GoogleEvents.self, data, decoder, name)
            if let list = envelope.items {
                items = list
                info.name = envelope.summary
                info.description = envelope.description
                info.timeZone = envelope.timeZone
            } else if envelope.kind == "calendar#events" {
                items = []
                info.name = envelope.summary
                info.timeZone = envelope.timeZone
            } else {
                items = [try GoogleJSONSource.decode(GoogleEvent.self, data, decoder, name)]
            }
        }
        self.info = info
        mapper = GoogleEventMapper(options: options, calendarTimeZone: info.timeZone)
        let name = input.name, sink = diagnostics
        items = mapper.foldingCancelledOccurrences(items) { d in
            var d = d
            d.file = name
            sink.emit(d)
        }
    }

    static func decode<T: Decodable>(_ t: T.Type, _ data: Data, _ d: JSONDecoder, _ name: String) throws -> T {
        do { return try d.decode(t, from: data) } catch {
            throw InputError(description: "\(name): not Google Calendar JSON: \(JSONCodec.explain(error))", isDataError: true)
        }
    }

    func next() throws -> StreamItem? {
        if let i = info {
            info = nil
            return .calendar(i)
        }
        guard index < items.count else { return nil }
        defer { index += 1 }
        let at = index
        let e = mapper.event(from: items[at]) { d in
            var d = d
            d.file = name
            d.message = "items[\(at)]: " + d.message
            sink.emit(d)
        }
        return .event(e, location: at)
    }
}

/// One Google Event resource per line.
final class NDJSONSource: EventSource {
    let name: String
    private let input: Input
    private let mapper: GoogleEventMapper
    private let sink: DiagnosticSink
    private var buffered: [(Event, Int)] = []
    private var started = false
    private var done = false

    init(_ input: Input, options: MappingOptions, diagnostics: DiagnosticSink) {
        name = input.name
        self.input = input
        mapper = GoogleEventMapper(options: options)
        sink = diagnostics
    }

    func next() throws -> StreamItem? {
        if !started {
            started = true
            return .calendar(CalendarInfo())
        }
        if buffered.isEmpty && !done {
            // Read a block of lines at a time; the input is consumed in order.
            try fill()
        }
        guard !buffered.isEmpty else { return nil }
        let (e, line) = buffered.removeFirst()
        return .event(e, location: line)
    }

    private var reader: LineBlockReader?

    private func fill() throws {
        if reader == nil { reader = LineBlockReader(input: input) }
        let decoder = JSONDecoder()
        while buffered.count < 256, let (line, number) = try reader!.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                let g = try decoder.decode(GoogleEvent.self, from: Data(line))
                let e = mapper.event(from: g) { d in
                    var d = d
                    d.file = name
                    d.line = number
                    sink.emit(d)
                }
                buffered.append((e, number))
            } catch {
                sink.emit(Diagnostic(.error, "not a Google Event resource: \(JSONCodec.explain(error)); line skipped", file: name, line: number))
            }
        }
        if buffered.isEmpty { done = true }
    }
}

/// Splits an input into lines, one block in memory at a time.
final class LineBlockReader {
    private let input: Input
    private var pending: [UInt8]
    private var start = 0
    private var number = 0
    private var eof = false
    private var buf = [UInt8](repeating: 0, count: 1 << 20)

    init(input: Input) {
        self.input = input
        pending = input.prefix
    }

    func next() throws -> ([UInt8], Int)? {
        while true {
            if let nl = pending[start...].firstIndex(of: 0x0A) {
                var line = Array(pending[start..<nl])
                if line.last == 0x0D { line.removeLast() }
                start = nl + 1
                number += 1
                return (line, number)
            }
            if eof {
                guard start < pending.count else { return nil }
                let line = Array(pending[start...])
                start = pending.count
                number += 1
                return (line, number)
            }
            pending.removeFirst(start)
            start = 0
            let n = buf.withUnsafeMutableBytes { read(input.fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw InputError(description: "\(input.name): read error: \(String(cString: strerror(errno)))", isDataError: false) }
            if n == 0 { eof = true } else { pending.append(contentsOf: buf[0..<n]) }
        }
    }
}
