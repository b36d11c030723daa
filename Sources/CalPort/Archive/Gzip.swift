import CZlib

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
