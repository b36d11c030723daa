#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// iCalendar input through libical, streamed component by component.
final class ICalendarSource: EventSource {
    let reader: ICalendarReader
    var name: String { reader.name }
    private(set) var skipped: [String: Int] = [:]

    init(_ input: Input, mapping: MappingOptions, diagnostics: DiagnosticSink) {
        reader = ICalendarReader(fileDescriptor: input.fd, prefix: input.prefix, name: input.name,
                                 naming: .calport(mapping), diagnostics: diagnostics)
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
