import Foundation

// Small codecs OAuth needs: base64url (RFC 4648 §5, no padding), percent-encoding for forms and
// query strings, and cryptographically random strings.

enum Base64URL {
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text = Data(bytes).base64EncodedString()
        text = String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard !standard.contains("=") else { return nil }
        switch standard.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}

/// application/x-www-form-urlencoded and query strings.
enum FormCoding {
    /// RFC 3986 unreserved characters stay as they are; every other byte is %XX.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 15)]))
            }
        }
        return out
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Decodes a query string or form body; "+" is a space; a malformed escape stays as it is.
    static func decode(_ text: some StringProtocol) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { item in
            if let eq = item.firstIndex(of: "=") {
                return (percentDecode(item[..<eq]), percentDecode(item[item.index(after: eq)...]))
            }
            return (percentDecode(item), "")
        }
    }

    static func percentDecode(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), i + 2 < utf8.count,
                      let high = hexValue(utf8[i + 1]), let low = hexValue(utf8[i + 2]) {
                bytes.append(high << 4 | low)
                i += 2
            } else {
                bytes.append(byte)
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

enum Random {
    /// `count` characters drawn uniformly from `alphabet` with the system's CSPRNG
    /// (getrandom/arc4random behind SystemRandomNumberGenerator).
    static func string(count: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }

    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// RFC 7636 §4.1: ALPHA / DIGIT / "-" / "." / "_" / "~".
    static let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
}

/// A JSON object read with JSONSerialization, with typed accessors for the few shapes OAuth uses.
struct JSONObject {
    let fields: [String: Any]

    init?(_ bytes: some Sequence<UInt8>) {
        let data = Data(bytes)
        guard let object = try? JSONSerialization.jsonObject(with: data, options: []) as? [String: Any] else {
            return nil
        }
        fields = object
    }

    init(fields: [String: Any]) { self.fields = fields }

    subscript(key: String) -> Any? { fields[key] }

    func string(_ key: String) -> String? { fields[key] as? String }

    func object(_ key: String) -> JSONObject? { (fields[key] as? [String: Any]).map(JSONObject.init(fields:)) }

    func strings(_ key: String) -> [String]? { fields[key] as? [String] }

    /// A number, or a string of digits (some servers quote expires_in).
    func int(_ key: String) -> Int? {
        if let n = fields[key] as? NSNumber, !(fields[key] is Bool) { return n.intValue }
        if let s = fields[key] as? String { return Int(s) }
        return nil
    }

    func bool(_ key: String) -> Bool? {
        if let b = fields[key] as? Bool { return b }
        if let s = fields[key] as? String { return s == "true" ? true : s == "false" ? false : nil }
        return nil
    }
}

/// The pieces of an absolute http(s) URL that calport needs, without Foundation's leniency.
struct URLParts {
    var scheme: String
    var host: String
    var port: Int?
    /// Starts with "/"; "/" when the URL has no path.
    var path: String
    var query: String?

    init?(_ url: String) {
        guard let colon = url.firstRange(of: "://") else { return nil }
        scheme = url[..<colon.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = url[colon.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let afterAuthority = rest[authorityEnd...]
        if let q = afterAuthority.firstIndex(of: "?") {
            path = String(afterAuthority[..<q])
            query = String(afterAuthority[afterAuthority.index(after: q)...])
        } else {
            path = String(afterAuthority)
            query = nil
        }
        if path.isEmpty { path = "/" }
        // Host and optional port; an IPv6 literal keeps its brackets.
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[...close]).lowercased()
            let tail = authority[authority.index(after: close)...]
            if tail.hasPrefix(":") {
                guard let p = Int(tail.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            } else {
                guard tail.isEmpty else { return nil }
                port = nil
            }
        } else if let c = authority.lastIndex(of: ":") {
            host = String(authority[..<c]).lowercased()
            guard let p = Int(authority[authority.index(after: c)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = authority.lowercased()
            port = nil
        }
        guard !host.isEmpty else { return nil }
    }
}
