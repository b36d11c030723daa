import Foundation
import GoogleCalendar

/// JSON helpers of the fake: parsing request bodies (JSONSerialization, so the discovery
/// document's validator can look at them), converting to `JSONValue` for storage, and a small
/// serializer with a stable key order for responses.
enum FakeJSON {
    struct ParseFailure: Error {}

    /// The body parsed with JSONSerialization; nil when it is not JSON.
    static func parse(_ bytes: [UInt8]) -> Any? {
        guard !bytes.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// A JSONSerialization value as a `JSONValue`; booleans and numbers told apart the way the
    /// validator does.
    static func value(_ any: Any) -> JSONValue {
        switch DiscoveryDocument.kind(of: any) {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n.doubleValue)
        case .boolean(let b): return .bool(b)
        case .object(let o): return .object(o.mapValues(value))
        case .array(let a): return .array(a.map(value))
        case .null, .other: return .null
        }
    }

    /// A `JSONValue` as a JSONSerialization value (for validating stored or merged resources).
    static func any(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { return Int(n) }
            return n
        case .string(let s): return s
        case .array(let a): return a.map(any)
        case .object(let o): return o.mapValues(any)
        }
    }

    // MARK: - Serializing

    /// Top-level keys of Google resources in the order Google writes them; other keys follow
    /// sorted.
    static let leadingKeys: [String] = [
        "kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description",
        "location", "colorId", "creator", "organizer", "start", "end", "endTimeUnspecified", "recurrence",
        "recurringEventId", "originalStartTime", "transparency", "visibility", "iCalUID", "sequence",
        "attendees", "extendedProperties", "reminders", "eventType",
    ]
    static let leadingRank: [String: Int] = Dictionary(uniqueKeysWithValues: leadingKeys.enumerated().map { ($1, $0) })

    /// Resources (objects with a `kind`) in Google's order; anything else sorted.
    static func orderedKeys(_ object: [String: JSONValue]) -> [String] {
        guard object["kind"] != nil else { return object.keys.sorted() }
        return object.keys.sorted { a, b in
            switch (leadingRank[a], leadingRank[b]) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    static func encode(_ object: [String: JSONValue]) -> [UInt8] { encode(.object(object)) }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 {
                out += Array(String(Int64(n)).utf8)
            } else if n.isFinite {
                out += Array(String(n).utf8)
            } else {
                out += Array("null".utf8)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, key) in orderedKeys(o).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(o[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func string(_ value: JSONValue) -> String { String(decoding: encode(value), as: UTF8.self) }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
