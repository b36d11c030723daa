#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct GzipError: Error, CustomStringConvertible {
    public var description: String
}

/// Deterministic gzip (RFC 1952) for `--gzip` snapshots: no file name and no time stamp in the
/// header, so the same text always gives the same bytes (as `gzip -n`).
///
/// The DEFLATE data comes from the system's zlib (`compress2`, then the zlib wrapper's two
/// header bytes and Adler-32 trailer are dropped: what is left is a raw DEFLATE stream, which is
/// what gzip carries). zlib is loaded at run time with dlopen because calport links no zlib
/// module; a `CZlib` system library target would replace the loading below.
public enum Gzip {
    private typealias CompressBound = @convention(c) (UInt) -> UInt
    private typealias Compress2 = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?,
                                                  UnsafePointer<UInt8>?, UInt, Int32) -> Int32

    private struct Zlib: @unchecked Sendable {
        let compressBound: CompressBound
        let compress2: Compress2
    }

    private static let zlib: Zlib? = {
        #if canImport(Darwin)
        let names = ["libz.1.dylib", "/usr/lib/libz.1.dylib", "libz.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let bound = dlsym(handle, "compressBound"), let compress = dlsym(handle, "compress2") else { continue }
            return Zlib(compressBound: unsafeBitCast(bound, to: CompressBound.self),
                        compress2: unsafeBitCast(compress, to: Compress2.self))
        }
        return nil
    }()

    /// Whether zlib could be loaded.
    public static var isAvailable: Bool { zlib != nil }

    public static func compress(_ data: [UInt8], level: Int32 = 9) throws -> [UInt8] {
        guard let z = zlib else { throw GzipError(description: "--gzip needs the zlib library (libz.so.1), which was not found") }
        var capacity = z.compressBound(UInt(data.count))
        var deflated = [UInt8](repeating: 0, count: Int(capacity))
        let rc = deflated.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { input in
                z.compress2(out.baseAddress, &capacity, input.baseAddress, UInt(input.count), level)
            }
        }
        guard rc == 0, capacity >= 6 else { throw GzipError(description: "zlib compress2 failed (\(rc))") }
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, level == 9 ? 2 : 0, 255]
        out.reserveCapacity(Int(capacity) + 10)
        out += deflated[2..<(Int(capacity) - 4)]
        let crc = crc32(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        for v in [crc, size] { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) } }
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 as gzip uses it (ISO 3309).
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        crcTable.withUnsafeBufferPointer { t in
            for b in data { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}
