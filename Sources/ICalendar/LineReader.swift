import CalendarModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A logical (unfolded) line and the 1-based number of its first physical line.
struct LogicalLine {
    var bytes: [UInt8]
    var number: Int
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Reads a byte stream and yields unfolded content lines, holding only one block and one
/// line in memory. Accepts CRLF, bare LF and bare CR line ends and a leading UTF-8 BOM.
final class LineReader {
    enum Source {
        case fileDescriptor(Int32)
        case bytes([UInt8])
        /// Bytes already read from the descriptor (to detect the format), then the rest.
        case prefixed([UInt8], Int32)
    }

    private let source: Source
    // A reader belongs to one thread and none of its methods calls back out while it holds
    // one of these: the runtime's check of each access (a tenth of the reading thread's time,
    // which feeds every worker) is left out for them.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var physicalLine = 0
    @exclusivity(unchecked) private var started = false
    /// Lines longer than this are cut, with a diagnostic, so that binary garbage cannot
    /// grow memory without bound.
    static let maximumLineLength = 16 << 20
    @exclusivity(unchecked) private(set) var overlongLines: [Int] = []
    @exclusivity(unchecked) private(set) var bytesRead = 0

    init(_ source: Source) {
        self.source = source
        switch source {
        case .bytes(let b):
            buffer = b
            bytesRead = b.count
            eof = true
        case .prefixed(let b, _):
            buffer = b
            bytesRead = b.count
        case .fileDescriptor: break
        }
    }

    private func fill() throws {
        guard !eof else { return }
        let fd: Int32
        switch source {
        case .fileDescriptor(let f), .prefixed(_, let f): fd = f
        case .bytes: return
        }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: 1 << 20) }
        var n = 0
        repeat {
            n = scratch.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw ReadError(errno: errno) }
        if n == 0 { eof = true; return }
        scratch.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
        bytesRead += n
    }

    @exclusivity(unchecked) private var scratch: [UInt8] = []

    struct ReadError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    /// The next physical line without its terminator, as a range of `buffer` that holds until
    /// the next read (a line over `maximumLineLength` is cut there and recorded).
    private func nextPhysical() throws -> Range<Int>? {
        while true {
            let count = buffer.count
            let start = position
            // The first CR or LF: the C library's memchr finds the LF, then any CR before it
            // (the CR of a CRLF, one byte back, in nearly every file), each in a few vector
            // steps where a loop of ours took a step for every eight bytes.
            let i = buffer.withUnsafeBufferPointer { b -> Int in
                guard start < count, let base = b.baseAddress else { return count }
                let from = UnsafeRawPointer(base + start)
                let lf = memchr(from, 0x0A, count - start).map { UnsafeRawPointer($0) - from } ?? count - start
                let cr = memchr(from, 0x0D, lf).map { UnsafeRawPointer($0) - from } ?? lf
                return start + cr
            }
            if i < count {
                // CR at the very end of the buffer: we need the next byte to know if it is CRLF.
                if buffer[i] == 0x0D && i + 1 == count && !eof {
                    try fill()
                    continue
                }
                var next = i + 1
                if buffer[i] == 0x0D && next < count && buffer[next] == 0x0A { next += 1 }
                position = next
                physicalLine += 1
                return cut(start..<i)
            }
            if eof {
                guard position < count else { return nil }
                position = count
                physicalLine += 1
                return cut(start..<count)
            }
            if count - position > LineReader.maximumLineLength * 2 {
                // A single line far beyond the limit: keep the first part, skip to its end; the
                // part kept takes the place of what was skipped, before the rest of the input.
                let keep = Array(buffer[position..<(position + LineReader.maximumLineLength)])
                physicalLine += 1
                overlongLines.append(physicalLine)
                position = buffer.count
                while true {
                    try fill()
                    if let nl = buffer[position...].firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                        var after = nl + 1
                        if buffer[nl] == 0x0D, after < buffer.count, buffer[after] == 0x0A { after += 1 }
                        buffer.replaceSubrange(0..<after, with: keep)
                        position = keep.count
                        return 0..<keep.count
                    }
                    position = buffer.count
                    if eof {
                        buffer = keep
                        position = keep.count
                        return 0..<keep.count
                    }
                }
            }
            try fill()
        }
    }

    private func cut(_ r: Range<Int>) -> Range<Int> {
        guard r.count > LineReader.maximumLineLength else { return r }
        overlongLines.append(physicalLine)
        return r.lowerBound..<(r.lowerBound + LineReader.maximumLineLength)
    }

    /// The first byte of the next physical line (a line end for an empty line), nil at the end.
    private func peek() throws -> UInt8? {
        while position >= buffer.count {
            if eof { return nil }
            try fill()
        }
        return buffer[position]
    }

    /// Appends the next unfolded line to `out` and returns the number of its first physical
    /// line; nil at the end of the input. Blank lines are skipped, and so are empty lines
    /// between a line and its continuations. Nothing is copied but the line's own bytes: the
    /// reader looks one byte past the line to see whether a continuation follows.
    func next(appendingTo out: inout [UInt8]) throws -> Int? {
        if !started {
            started = true
            if buffer.count < 3 { try fill() }
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
        }
        var length = 0
        while true {
            guard let r = try nextPhysical() else { return nil }
            let blank = buffer.withUnsafeBufferPointer { b in b[r].allSatisfy { $0 == 0x20 || $0 == 0x09 } }
            if !blank {
                buffer.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
                length = r.count
                break
            }
        }
        let number = physicalLine
        // Gather continuation lines (starting with a space or a tab).
        while let b = try peek() {
            if b == 0x20 || b == 0x09 {
                let r = try nextPhysical()!
                if length + r.count <= LineReader.maximumLineLength {
                    buffer.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[(r.lowerBound + 1)..<r.upperBound])) }
                    length += r.count - 1
                } else if overlongLines.last != physicalLine {
                    overlongLines.append(physicalLine)
                }
            } else if b == 0x0A || b == 0x0D {
                _ = try nextPhysical()  // an empty line
            } else {
                break
            }
        }
        return number
    }

    /// The next unfolded line. Blank lines are skipped.
    func next() throws -> LogicalLine? {
        var bytes: [UInt8] = []
        guard let number = try next(appendingTo: &bytes) else { return nil }
        return LogicalLine(bytes: bytes, number: number)
    }
}
