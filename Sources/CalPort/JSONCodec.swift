import Foundation
import GoogleCalendar

/// JSON encoding and decoding of Google resources, with stable bytes (sorted keys).
public enum JSONCodec {
    public static func compactEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func prettyEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return e
    }

    static func isCompleteObject(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
    }

    /// Explains a DecodingError in terms of the JSON path, for diagnostics.
    static func explain(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: [CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        }
        switch e {
        case .typeMismatch(let t, let ctx): return "\(path(ctx.codingPath)): expected \(t)"
        case .valueNotFound(let t, let ctx): return "\(path(ctx.codingPath)): missing \(t)"
        case .keyNotFound(let k, let ctx): return "\(path(ctx.codingPath + [k])): missing"
        case .dataCorrupted(let ctx):
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return (ctx.codingPath.isEmpty ? "" : path(ctx.codingPath) + ": ") + (underlying ?? ctx.debugDescription)
        @unknown default: return "\(e)"
        }
    }
}
