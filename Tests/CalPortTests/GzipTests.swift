import CalPort
import Foundation
import Testing

/// The archive's `.ics.gz` bytes: the same text always gives the same file, whatever the
/// machine, and as earlier calport versions wrote it (so a day's snapshot does not change
/// when calport is upgraded).
@Suite struct GzipTests {
    /// Python's `gzip.compress(text, compresslevel=9, mtime=0)` (zlib's deflate at level 9 in
    /// a gzip member), with the operating-system byte 255, "unknown", as calport writes it.
    @Test func bytesMatchAnIndependentGzipWriter() throws {
        let text = Array(String(repeating: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", count: 3).utf8)
        let expected = "1f8b08000000000002ff737275f7f4b30a7376f471f573710ce2e50a730d0af6f4f7b332d233e0e5028a21cb39d14c31006e37a1e687000000"
        let gz = try Gzip.compress(text)
        #expect(gz.map { String(format: "%02x", $0) }.joined() == expected)
    }

    @Test func crcIsISO3309() {
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Gzip.crc32([]) == 0)
    }

    @Test func emptyAndLargeInputsRoundTripThroughGzip() throws {
        for text in [[UInt8](), Array(String(repeating: "DESCRIPTION:x\r\n", count: 200_000).utf8)] {
            let gz = try Gzip.compress(text)
            let dir = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("x.gz")
            try Data(gz).write(to: file)
            let plain = try #require(try gunzip(file.path))
            #expect(Array(plain) == text)
        }
    }
}
