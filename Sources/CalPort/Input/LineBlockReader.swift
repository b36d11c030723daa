#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

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
