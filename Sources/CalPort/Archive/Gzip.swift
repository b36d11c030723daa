import CZlib
import CalendarModel
import GoogleCalendar

public struct GzipError: Error, CustomStringConvertible {
    public var description: String
}

/// Deterministic gzip (RFC 1952) for `--gzip` snapshots: no file name and no time stamp in the
/// header, so the same text always gives the same bytes (as `gzip -n`).
///
/// zlib writes the whole member itself (`deflateInit2` with gzip framing, header, CRC-32 and
/// length). The header names no operating system (255, "unknown"), so the bytes do not depend
/// on the machine either.
public enum Gzip {
    public static func compress(_ data: [UInt8], level: Int32 = 9) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip wrapper instead of zlib's.
        var rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw GzipError(description: "zlib deflateInit2 failed (\(rc))") }
        defer { deflateEnd(&stream) }
        var header = gz_header()
        header.os = 255
        rc = deflateSetHeader(&stream, &header)
        guard rc == Z_OK else { throw GzipError(description: "zlib deflateSetHeader failed (\(rc))") }

        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        let produced: Int = try data.withUnsafeBufferPointer { input in
            try out.withUnsafeMutableBufferPointer { output in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                // The output buffer holds deflateBound's worst case: one call finishes.
                let rc = deflate(&stream, Z_FINISH)
                guard rc == Z_STREAM_END else { throw GzipError(description: "zlib deflate failed (\(rc))") }
                return output.count - Int(stream.avail_out)
            }
        }
        out.removeSubrange(produced...)
        return out
    }

    /// CRC-32 as gzip uses it (ISO 3309), from zlib.
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }
}

/// zlib's own format (RFC 1950) for blocks calport keeps in memory compressed, such as a push's
/// listing (`BlockSealing.zlib`).
enum Zlib {
    static func compress(_ data: [UInt8], level: Int32) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = out.withUnsafeMutableBufferPointer { o in data.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, uLong(i.count), level) } }
        // compressBound is zlib's worst case: compress2 cannot run out of room, and memory
        // running out is not an error calport goes on from.
        precondition(rc == Z_OK, "zlib compress2 failed (\(rc))")
        // A copy of its size: removing the tail would keep the worst case's room.
        return Array(out[..<Int(length)])
    }

    static func uncompress(_ data: [UInt8], length: Int) -> [UInt8] {
        var produced = uLong(length)
        var out = [UInt8](repeating: 0, count: length)
        let rc = out.withUnsafeMutableBufferPointer { o in data.withUnsafeBufferPointer { i in CZlib.uncompress(o.baseAddress, &produced, i.baseAddress, uLong(i.count)) } }
        // The block is one calport compressed itself, in memory.
        precondition(rc == Z_OK && Int(produced) == length, "zlib uncompress of a block calport made failed (\(rc))")
        return out
    }
}

extension BlockSealing {
    /// zlib at level 1: on a push's listing of 99,623 events, 16 KB blocks of event JSON came
    /// out about four times smaller (138 to 34 MB) for 1.4 s more CPU (BENCHMARKS.md).
    static let zlib = BlockSealing(seal: { Zlib.compress($0, level: 1) }, unseal: { Zlib.uncompress($0, length: $1) })
}
