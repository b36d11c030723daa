import Foundation
import Testing

@testable import CalPort

/// `Input.mentions` decides whether a conversion must read the whole document
/// (RANGE=THISANDFUTURE): it must find the text wherever it is in a large file.
@Suite struct InputMentionsTests {
    /// A file of `size` bytes with `text` at `offset` and spaces elsewhere.
    static func file(size: Int, text: String, at offset: Int?) throws -> String {
        var bytes = [UInt8](repeating: 0x20, count: size)
        if let offset { bytes.replaceSubrange(offset..<(offset + text.utf8.count), with: Array(text.utf8)) }
        let path = NSTemporaryDirectory() + "calport-mentions-\(UUID().uuidString).ics"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [0, 70_000, (1 << 20) - 13, (1 << 20) - 6, (1 << 20), 3 * (1 << 20) + 11, 4 * (1 << 20) - 13])
    func findsTheTextAnywhere(offset: Int) throws {
        let path = try Self.file(size: 4 << 20, text: "THISANDFUTURE", at: offset)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Input(path: path).mentions("THISANDFUTURE"))
    }

    @Test func aFileWithoutItSaysSo() throws {
        let path = try Self.file(size: 3 << 20, text: "", at: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try !Input(path: path).mentions("THISANDFUTURE"))
        let cut = try Self.file(size: 2 << 20, text: "THISANDFUTUR", at: (1 << 20) - 6)
        defer { try? FileManager.default.removeItem(atPath: cut) }
        #expect(try !Input(path: cut).mentions("THISANDFUTURE"))
    }
}
