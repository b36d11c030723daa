/// multipart/mixed as Google's batch endpoint reads and writes it: each part an
/// `application/http` message holding one HTTP request (or response).
enum Multipart {
    struct Part {
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    struct InnerRequest {
        var method: String
        /// Path and query, with any scheme and host removed.
        var target: String
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    /// The `boundary` parameter of a Content-Type.
    static func boundary(_ contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let p = param.drop { $0 == " " || $0 == "\t" }
            guard let eq = p.firstIndex(of: "="), p[..<eq].lowercased() == "boundary" else { continue }
            var value = p[p.index(after: eq)...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    /// The parts between `--boundary` lines, up to `--boundary--`.
    static func split(_ body: [UInt8], boundary: String) -> [Part] {
        let delimiter = Array(("--" + boundary).utf8)
        var starts: [Int] = []  // indices just after each delimiter that begins a line
        var i = 0
        while i + delimiter.count <= body.count {
            if (i == 0 || body[i - 1] == 10) && body[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                starts.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        var parts: [Part] = []
        for (n, start) in starts.enumerated() {
            var from = start + delimiter.count
            if from + 1 < body.count, body[from] == UInt8(ascii: "-"), body[from + 1] == UInt8(ascii: "-") { break }
            // The rest of the delimiter line.
            while from < body.count, body[from] != 10 { from += 1 }
            from += 1
            var to = n + 1 < starts.count ? starts[n + 1] : body.count
            // The line break before the next delimiter belongs to it.
            if to > from, body[to - 1] == 10 { to -= 1 }
            if to > from, body[to - 1] == 13 { to -= 1 }
            guard from <= to else { continue }
            let (headers, rest) = headersAndBody(Array(body[from..<to]))
            parts.append(Part(headers: headers, body: rest))
        }
        return parts
    }

    /// Header lines up to the first empty line (CRLF or LF), and what follows.
    static func headersAndBody(_ bytes: [UInt8]) -> ([String: String], [UInt8]) {
        var headers: [String: String] = [:]
        var i = 0
        while i < bytes.count {
            var end = i
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            var line = bytes[i..<end]
            if line.last == 13 { line = line.dropLast() }
            i = end + 1
            if line.isEmpty { return (headers, i <= bytes.count ? Array(bytes[min(i, bytes.count)...]) : []) }
            let text = String(decoding: line, as: UTF8.self)
            if let colon = text.firstIndex(of: ":") {
                let name = text[..<colon].lowercased().trimmingCharacters(in: " \t")
                let value = text[text.index(after: colon)...].trimmingCharacters(in: " \t")
                headers[name] = headers[name].map { $0 + ", " + value } ?? value
            }
        }
        return (headers, [])
    }

    /// The HTTP request inside a part: request line, headers, body.
    static func innerRequest(_ bytes: [UInt8]) -> InnerRequest? {
        var start = 0
        while start < bytes.count, bytes[start] == 13 || bytes[start] == 10 { start += 1 }
        var end = start
        while end < bytes.count, bytes[end] != 10 { end += 1 }
        var lineBytes = bytes[start..<end]
        if lineBytes.last == 13 { lineBytes = lineBytes.dropLast() }
        let words = String(decoding: lineBytes, as: UTF8.self).split(separator: " ")
        guard words.count == 2 || words.count == 3, words[0].allSatisfy({ $0.isUppercase }) else { return nil }
        var target = String(words[1])
        if let scheme = target.range(of: "://") {
            let afterHost = target[scheme.upperBound...]
            target = String(afterHost[(afterHost.firstIndex(of: "/") ?? afterHost.endIndex)...])
            if target.isEmpty { target = "/" }
        }
        guard target.hasPrefix("/") else { return nil }
        let (headers, body) = end < bytes.count ? headersAndBody(Array(bytes[(end + 1)...])) : ([:], [])
        var trimmed = body
        if let length = headers["content-length"].flatMap({ Int($0) }), length <= trimmed.count {
            trimmed = Array(trimmed.prefix(length))
        }
        return InnerRequest(method: String(words[0]), target: target, headers: headers, body: trimmed)
    }

    /// `<item1>` -> `<response-item1>`; `item1` -> `response-item1`.
    static func responseContentID(_ id: String) -> String {
        if id.hasPrefix("<"), id.hasSuffix(">"), id.count >= 2 { return "<response-" + id.dropFirst().dropLast() + ">" }
        return "response-" + id
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
