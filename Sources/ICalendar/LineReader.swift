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
    private var buffer: [UInt8] = []
    private var position = 0
    private var eof = false
    private var physicalLine = 0
    private var pending: (bytes: [UInt8], number: Int)?
    private var started = false
    /// Lines longer than this are cut, with a diagnostic, so that binary garbage cannot
    /// grow memory without bound.
    static let maximumLineLength = 16 << 20
    private(set) var overlongLines: [Int] = []
    private(set) var bytesRead = 0

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

    private var scratch: [UInt8] = []

    struct ReadError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    /// The next physical line without its terminator.
    private func nextPhysical() throws -> [UInt8]? {
        while true {
            let count = buffer.count
            let start = position
            let i = buffer.withUnsafeBufferPointer { b -> Int in
                var j = start
                while j < count {
                    let c = b[j]
                    if c == 0x0A || c == 0x0D { break }
                    j += 1
                }
                return j
            }
            if i < count {
                // CR at the very end of the buffer: we need the next byte to know if it is CRLF.
                if buffer[i] == 0x0D && i + 1 == count && !eof {
                    try fill()
                    continue
                }
                var line = Array(buffer[position..<i])
                var next = i + 1
                if buffer[i] == 0x0D && next < buffer.count && buffer[next] == 0x0A { next += 1 }
                position = next
                physicalLine += 1
                if line.count > LineReader.maximumLineLength {
                    line.removeLast(line.count - LineReader.maximumLineLength)
                    overlongLines.append(physicalLine)
                }
                return line
            }
            if eof {
                guard position < buffer.count else { return nil }
                var line = Array(buffer[position...])
                position = buffer.count
                physicalLine += 1
                if line.count > LineReader.maximumLineLength {
                    line.removeLast(line.count - LineReader.maximumLineLength)
                    overlongLines.append(physicalLine)
                }
                return line
            }
            if buffer.count - position > LineReader.maximumLineLength * 2 {
                // A single line far beyond the limit: keep the first part, skip to its end.
                let keep = Array(buffer[position..<(position + LineReader.maximumLineLength)])
                physicalLine += 1
                overlongLines.append(physicalLine)
                position = buffer.count
                while true {
                    try fill()
                    if let nl = buffer[position...].firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                        position = nl + 1
                        if buffer[nl] == 0x0D, position < buffer.count, buffer[position] == 0x0A { position += 1 }
                        return keep
                    }
                    position = buffer.count
                    if eof { return keep }
                }
            }
            try fill()
        }
    }

    /// The next unfolded line. Blank lines are skipped.
    func next() throws -> LogicalLine? {
        if !started {
            started = true
            if buffer.count < 3 { try fill() }
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
        }
        var current: (bytes: [UInt8], number: Int)
        if let p = pending {
            current = p
            pending = nil
        } else {
            while true {
                guard let l = try nextPhysical() else { return nil }
                if !l.isEmpty && !(l.allSatisfy { $0 == 0x20 || $0 == 0x09 }) {
                    current = (l, physicalLine)
                    break
                }
            }
        }
        // Gather continuation lines (starting with a space or a tab).
        while let l = try nextPhysical() {
            if let f = l.first, f == 0x20 || f == 0x09 {
                if current.bytes.count + l.count <= LineReader.maximumLineLength {
                    current.bytes.append(contentsOf: l.dropFirst())
                } else if overlongLines.last != physicalLine {
                    overlongLines.append(physicalLine)
                }
            } else if l.isEmpty {
                continue
            } else {
                pending = (l, physicalLine)
                break
            }
        }
        return LogicalLine(bytes: current.bytes, number: current.number)
    }
}
