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

    /// Explains a DecodingError in terms of the JSON path and JSON's own kinds of value, for
    /// diagnostics: `items[4].summary: expected a string`, never a Swift type name.
    static func explain(_ error: Error, at prefix: String = "") -> String {
        func at(_ c: [CodingKey]) -> String {
            let rel = path(c)
            if prefix.isEmpty { return rel }
            return rel == "(root)" ? prefix : rel.hasPrefix("[") ? prefix + rel : prefix + "." + rel
        }
        guard let e = error as? DecodingError else {
            let why = (error as? NotAnEvent)?.description ?? "\(error)"
            return prefix.isEmpty ? why : prefix + ": " + why
        }
        switch e {
        case .typeMismatch(let t, let ctx): return "\(at(ctx.codingPath)): expected \(jsonKind(t))"
        case .valueNotFound(let t, let ctx): return "\(at(ctx.codingPath)): expected \(jsonKind(t)), found null"
        case .keyNotFound(let k, let ctx): return "\(at(ctx.codingPath + [k])): missing"
        case .dataCorrupted(let ctx):
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let why = underlying ?? ctx.debugDescription
            return ctx.codingPath.isEmpty && prefix.isEmpty ? why : at(ctx.codingPath) + ": " + why
        @unknown default: return "\(e)"
        }
    }

    /// Where JSON that does not parse goes wrong, as "line L, column C: what": Foundation's
    /// parser names only a character offset. Nil when the data parses.
    static func syntaxError(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
            guard let match = text.firstMatch(of: /character (\d+)/), let offset = Int(match.1) else { return text }
            var line = 1, column = 1
            for b in data.prefix(offset) {
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            let what = text.replacing(/\s+around character \d+\.?/, with: "")
            return "line \(line), column \(column): \(what)"
        }
    }

    /// `items[4].attendees[0].email`; `(root)` for the whole value.
    static func path(_ c: [CodingKey]) -> String {
        let s = c.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return s.isEmpty ? "(root)" : s.hasPrefix(".") ? String(s.dropFirst()) : s
    }

    /// What a decoded Swift type is called in JSON.
    static func jsonKind(_ t: Any.Type) -> String {
        if t == String.self { return "a string" }
        if t == Bool.self { return "true or false" }
        if t is any Numeric.Type { return "a number" }
        let name = "\(t)"
        if name.hasPrefix("Array") { return "an array" }
        return "an object"
    }

    /// An object none of whose keys is a field of Google's Event resource (`{"foo": 1}`):
    /// nothing in it is an event, and converting it would invent an empty one.
    struct NotAnEvent: Error, CustomStringConvertible {
        var keys: [String]
        var description: String {
            let shown = keys.sorted().prefix(5).joined(separator: ", ")
            return keys.isEmpty ? "an empty object, not a Google Event"
                : "none of its keys (\(shown)\(keys.count > 5 ? ", …" : "")) is a field of a Google Event"
        }
    }

    /// Decodes one Google Event from its JSON bytes: the fast reader where the meaning is plain,
    /// else JSONDecoder. An object without a single Event field is refused (`NotAnEvent`).
    static func event(_ bytes: [UInt8], _ decoder: JSONDecoder) throws -> GoogleEvent {
        let g = try FastJSONReader.event(bytes) ?? decoder.decode(GoogleEvent.self, from: Data(bytes))
        if g == GoogleEvent() {
            let keys = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]).map { Array($0.keys) } ?? []
            throw NotAnEvent(keys: keys)
        }
        return g
    }
}

/// One item of a list of events, decoded on its own: a bad item is reported and skipped while
/// the rest are converted.
struct LenientGoogleEvent: Decodable {
    let result: Result<GoogleEvent, any Error>

    init(from decoder: Decoder) throws {
        do {
            let g = try GoogleEvent(from: decoder)
            if g == GoogleEvent() {
                let keys = (try? decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)) ?? []
                throw JSONCodec.NotAnEvent(keys: keys)
            }
            result = .success(g)
        } catch {
            result = .failure(error)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
