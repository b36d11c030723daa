import Foundation

/// Validates JSON values against the `schemas` of a Google API discovery document, such as
/// `../shared/corpus/google-api/calendar.v3.json`, plus the limits that the document states
/// only in prose (see `DiscoveryDocument.rules`).
///
/// What the document's schema keywords mean here:
///
/// | keyword | checked |
/// |---|---|
/// | `type` | `string`, `integer` (integral numbers only; `1.0` counts, `1.5` does not), `number`, `boolean`, `object`, `array`; `any` accepts everything. Booleans and numbers are told apart although JSONSerialization gives `NSNumber` for both. JSON `null` is a type error. |
/// | `$ref` | the named schema is validated in place |
/// | `properties` | each key is validated against its schema; a key that is not a property is an unknown field, unless the schema has `additionalProperties` |
/// | `additionalProperties` | the schema of the values of a map (`extendedProperties.private`) |
/// | `items` | the schema of each array element |
/// | `format` | `date` (`YYYY-MM-DD`, a real calendar day), `date-time` (RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`), `int32`/`uint32` ranges, `int64`/`uint64` as decimal strings. Other formats are not checked. |
/// | `enum` | membership (the calendar document has none: its enumerations are in descriptions, hence the rules table) |
/// | `annotations.required` | only when `validate(_:against:requiredFor:)` names a method, e.g. `calendar.events.import` |
/// | `description`, `default`, `id`, `enumDescriptions`, `readOnly`, `deprecated` | informational; read-only fields are accepted, since Google returns them and ignores them on input |
///
/// Any other keyword found while loading is listed in `unhandledKeywords`, so that a newer
/// document that starts to use one is noticed instead of silently passing.
///
/// A documented choice: `EventDateTime.dateTime` may omit the UTC offset (`2025-03-01T09:00:00`),
/// because the description says "A time zone offset is required unless a time zone is explicitly
/// specified in timeZone" and Google accepts such values. The `EventDateTime` rule then requires
/// `timeZone`. Every other `date-time` field (`created`, `updated`, …) needs an offset or `Z`.
public struct DiscoveryDocument: Sendable {
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// One schema of the document, or an inline schema of a property, item or map value.
    final class Schema: Sendable {
        let type: String?
        let ref: String?
        let format: String?
        let enumValues: [String]?
        let properties: [String: Schema]
        let items: Schema?
        let additionalProperties: Schema?
        /// `annotations.required`: the methods for which this property must be present.
        let requiredFor: [String]

        init(type: String?, ref: String?, format: String?, enumValues: [String]?, properties: [String: Schema],
             items: Schema?, additionalProperties: Schema?, requiredFor: [String]) {
            self.type = type
            self.ref = ref
            self.format = format
            self.enumValues = enumValues
            self.properties = properties
            self.items = items
            self.additionalProperties = additionalProperties
            self.requiredFor = requiredFor
        }
    }

    public let name: String
    public let version: String
    public let revision: String
    let schemas: [String: Schema]
    /// Schema keywords present in the document that the validator neither checks nor knows to be informational.
    public let unhandledKeywords: Set<String>
    /// `format` values present in the document that the validator does not check.
    let uncheckedFormats: Set<String>

    static let checkedKeywords: Set<String> = ["type", "$ref", "properties", "items", "additionalProperties", "format", "enum", "annotations"]
    static let informationalKeywords: Set<String> = ["description", "default", "id", "enumDescriptions", "readOnly", "deprecated", "enumDeprecated"]
    static let checkedFormats: Set<String> = ["date", "date-time", "int32", "uint32", "int64", "uint64"]

    public init(contentsOf url: URL) throws {
        try self.init(data: try Data(contentsOf: url), source: url.path)
    }

    /// The document embedded in the fake (`DiscoveryEmbedded.swift`), so that it behaves like
    /// Google on a machine without `../shared`.
    public static func embedded() throws -> DiscoveryDocument {
        try DiscoveryDocument(data: Data(embeddedCalendarV3.utf8), source: "the embedded discovery document")
    }

    /// `source` names the document in errors.
    public init(data: Data, source: String) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let schemas = root["schemas"] as? [String: Any] else {
            throw LoadError(description: "\(source): not a discovery document (no top-level \"schemas\" object)")
        }
        name = root["name"] as? String ?? ""
        version = root["version"] as? String ?? ""
        revision = root["revision"] as? String ?? ""
        var unhandled = Set<String>(), formats = Set<String>()
        var parsed: [String: Schema] = [:]
        for (schemaName, body) in schemas {
            guard let body = body as? [String: Any] else {
                throw LoadError(description: "\(source): schema \(schemaName) is not an object")
            }
            parsed[schemaName] = try Self.parse(body, at: schemaName, unhandled: &unhandled, formats: &formats)
        }
        self.schemas = parsed
        unhandledKeywords = unhandled
        uncheckedFormats = formats.subtracting(Self.checkedFormats)
    }

    private static func parse(_ body: [String: Any], at place: String, unhandled: inout Set<String>,
                              formats: inout Set<String>) throws -> Schema {
        for key in body.keys where !checkedKeywords.contains(key) && !informationalKeywords.contains(key) {
            unhandled.insert(key)
        }
        var properties: [String: Schema] = [:]
        if let props = body["properties"] as? [String: Any] {
            for (name, p) in props {
                guard let p = p as? [String: Any] else { throw LoadError(description: "\(place).\(name) is not a schema") }
                properties[name] = try parse(p, at: "\(place).\(name)", unhandled: &unhandled, formats: &formats)
            }
        }
        var items: Schema?
        if let i = body["items"] as? [String: Any] {
            items = try parse(i, at: "\(place)[]", unhandled: &unhandled, formats: &formats)
        }
        var additional: Schema?
        if let a = body["additionalProperties"] as? [String: Any] {
            additional = try parse(a, at: "\(place).*", unhandled: &unhandled, formats: &formats)
        } else if let a = body["additionalProperties"], case .boolean(true) = DiscoveryDocument.kind(of: a) {
            additional = Schema(type: "any", ref: nil, format: nil, enumValues: nil, properties: [:], items: nil,
                                additionalProperties: nil, requiredFor: [])
        }
        let format = body["format"] as? String
        if let format { formats.insert(format) }
        let annotations = body["annotations"] as? [String: Any]
        return Schema(type: body["type"] as? String, ref: body["$ref"] as? String, format: format,
                      enumValues: body["enum"] as? [String], properties: properties, items: items,
                      additionalProperties: additional, requiredFor: annotations?["required"] as? [String] ?? [])
    }

    // MARK: - Validation

    /// Problems found validating `value` (a JSONSerialization object) against schema `name`
    /// (e.g. "Event"), each "path: message" like
    /// "attendees[0].responseStatus: expected string, got number". Empty when valid.
    public func validate(_ value: Any, against name: String) -> [String] {
        validate(value, against: name, requiredFor: nil)
    }

    /// As `validate(_:against:)`; with a method name such as `calendar.events.import`, properties
    /// annotated as required for that method must be present as well.
    public func validate(_ value: Any, against name: String, requiredFor method: String?) -> [String] {
        guard let schema = schemas[name] else { return ["(root): schema \(name) is not in the discovery document"] }
        var problems: [String] = []
        check(value, schema, at: Location(schema: name), method: method, into: &problems)
        return problems
    }

    /// Where a value is: the path shown in messages, and the schema-relative key rules are filed under.
    struct Location {
        var display = ""
        /// The innermost named schema ("Event", "EventReminder").
        var schema: String
        /// The path inside that schema, with `[]` for any array element and `*` for any map key.
        var relative = ""

        var shown: String { display.isEmpty ? "(root)" : display }
        /// "Event.reminders.overrides", "EventReminder.minutes", "EventDateTime", "Event.recurrence[]".
        var key: String { relative.isEmpty ? schema : schema + "." + relative }

        func member(_ name: String) -> Location {
            var l = self
            l.display = display.isEmpty ? Self.quoted(name) : display + (Self.isIdentifier(name) ? "." + name : "[\(Self.quoted(name))]")
            l.relative = relative.isEmpty ? name : relative + "." + name
            return l
        }

        func mapValue(_ name: String) -> Location {
            var l = member(name)
            l.relative = relative.isEmpty ? "*" : relative + ".*"
            return l
        }

        func element(_ index: Int) -> Location {
            var l = self
            l.display = display + "[\(index)]"
            l.relative = relative + "[]"
            return l
        }

        func entering(_ named: String) -> Location {
            var l = self
            l.schema = named
            l.relative = ""
            return l
        }

        /// Names shown after a dot; anything else is shown quoted in brackets.
        static func isIdentifier(_ s: String) -> Bool {
            func letter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
            guard let first = s.unicodeScalars.first, letter(first) else { return false }
            return s.unicodeScalars.allSatisfy { letter($0) || $0 == "-" || ("0"..."9").contains($0) }
        }

        static func quoted(_ s: String) -> String {
            isIdentifier(s) ? s : "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }

    private func check(_ value: Any, _ schemaIn: Schema, at locationIn: Location, method: String?, into problems: inout [String]) {
        var schema = schemaIn, location = locationIn
        if let ref = schema.ref {
            guard let target = schemas[ref] else {
                problems.append("\(location.shown): schema \(ref) is not in the discovery document")
                return
            }
            schema = target
            location = location.entering(ref)
        }
        let kind = Self.kind(of: value)
        if checkType(kind, schema, at: location, into: &problems) {
            switch kind {
            case .object(let dict):
                for key in dict.keys.sorted() {
                    let v = dict[key]!
                    if let p = schema.properties[key] {
                        check(v, p, at: location.member(key), method: method, into: &problems)
                    } else if let a = schema.additionalProperties {
                        check(v, a, at: location.mapValue(key), method: method, into: &problems)
                    } else if schema.type != "any" {
                        problems.append("\(location.member(key).shown): unknown field (not a property of \(location.key))")
                    }
                }
                if let method {
                    for (name, p) in schema.properties.sorted(by: { $0.key < $1.key })
                    where p.requiredFor.contains(method) && dict[name] == nil {
                        problems.append("\(location.member(name).shown): required for \(method)")
                    }
                }
            case .array(let elements):
                if let items = schema.items {
                    for (i, e) in elements.enumerated() {
                        check(e, items, at: location.element(i), method: method, into: &problems)
                    }
                }
            default:
                break
            }
        }
        for rule in Self.rulesByLocation[location.key] ?? [] {
            if let message = rule.check(value) { problems.append("\(location.shown): \(message)") }
        }
    }

    /// Checks `type`, `format` and `enum`; true when the value has the schema's JSON type, so
    /// its members or elements are worth checking.
    private func checkType(_ kind: Kind, _ schema: Schema, at location: Location, into problems: inout [String]) -> Bool {
        guard let type = schema.type, type != "any" else { return true }
        let here = location.shown
        switch (type, kind) {
        case ("string", .string(let s)):
            if let message = Self.checkFormat(schema.format, of: s, offsetOptional: Self.offsetOptional.contains(location.key)) {
                problems.append("\(here): \(message)")
            }
            if let allowed = schema.enumValues, !allowed.contains(s) {
                problems.append("\(here): \(Self.show(s)) is not one of \(allowed.map(Self.show).joined(separator: ", "))")
            }
            return true
        case ("integer", .number(let n)):
            let d = n.doubleValue
            guard Self.isIntegral(n) else {
                problems.append("\(here): expected integer, got \(Self.describe(n))")
                return false
            }
            let range: ClosedRange<Double>? = switch schema.format {
            case "int32": Double(Int32.min)...Double(Int32.max)
            case "uint32": 0...Double(UInt32.max)
            default: nil
            }
            if let range, !range.contains(d) {
                problems.append("\(here): \(Self.describe(n)) is out of the \(schema.format!) range")
            }
            return true
        case ("number", .number):
            return true
        case ("boolean", .boolean), ("object", .object), ("array", .array):
            return true
        default:
            problems.append("\(here): expected \(type), got \(kind.name)")
            return false
        }
    }

    // MARK: - Rules the document states only in descriptions

    /// A limit the discovery document gives only in a property's description.
    struct Rule: Sendable {
        /// Schema-relative location: "Schema.property.path", `[]` for array elements.
        let at: String
        /// What the document says, abridged.
        let source: String
        /// A message when `value` breaks the rule; nil when it keeps it or has the wrong JSON type
        /// (the type problem is reported by the schema check).
        let check: @Sendable (Any) -> String?
    }

    /// Fields where `date-time` may omit the UTC offset (then the `EventDateTime` rule asks for `timeZone`).
    static let offsetOptional: Set<String> = ["EventDateTime.dateTime"]

    /// Every extra rule, in one place: limits on ids, colours, recurrence lines, reminders and
    /// start/end, then the "Possible values" lists of fields calport writes. Values of
    /// `extendedProperties.private` and `.shared` must be strings as well, but the document
    /// states that one itself (`additionalProperties: {type: string}`), so the schema check
    /// enforces it and it needs no row.
    static let rules: [Rule] = [
        Rule(at: "Event.id", source: "Provided IDs: base32hex characters (lowercase a-v, 0-9); length between 5 and 1024") { v in
            guard case .string(let s) = kind(of: v) else { return nil }
            let bad = Set(s.unicodeScalars.filter { !(("a"..."v").contains($0) || ("0"..."9").contains($0)) }.map(String.init))
            if !bad.isEmpty {
                return "must be base32hex (a-v, 0-9); has \(bad.sorted().map(show).joined(separator: ", "))"
            }
            if !(5...1024).contains(s.unicodeScalars.count) {
                return "must be 5...1024 characters, has \(s.unicodeScalars.count)"
            }
            return nil
        },
        Rule(at: "Event.colorId", source: "an ID of the event palette of the colors endpoint: \"1\" ... \"11\"") { v in
            guard case .string(let s) = kind(of: v) else { return nil }
            return (1...11).map(String.init).contains(s) ? nil : "must be \"1\" ... \"11\", got \(show(s))"
        },
        Rule(at: "Event.recurrence[]", source: "RRULE, EXRULE, RDATE and EXDATE lines (RFC 5545); DTSTART and DTEND are not allowed") { v in
            guard case .string(let s) = kind(of: v) else { return nil }
            // Property names are case-insensitive in RFC 5545.
            let upper = s.uppercased()
            let prefixes = ["RRULE:", "EXRULE:", "RDATE:", "RDATE;", "EXDATE:", "EXDATE;"]
            return prefixes.contains(where: upper.hasPrefix) ? nil
                : "must start with RRULE:, EXRULE:, RDATE or EXDATE, got \(show(String(s.prefix(40))))"
        },
        Rule(at: "Event.reminders.overrides", source: "The maximum number of override reminders is 5.") { v in
            guard case .array(let a) = kind(of: v), a.count > 5 else { return nil }
            return "at most 5 override reminders, got \(a.count)"
        },
        Rule(at: "EventReminder.minutes", source: "Valid values are between 0 and 40320 (4 weeks in minutes).") { v in
            guard case .number(let n) = kind(of: v), isIntegral(n) else { return nil }
            return (0...40320).contains(n.doubleValue) ? nil : "must be 0...40320, got \(describe(n))"
        },
        oneOf("EventReminder.method", ["email", "popup"]),
        Rule(at: "EventDateTime", source: "date if all-day, else dateTime; an offset is required unless timeZone is given") { v in
            guard case .object(let o) = kind(of: v) else { return nil }
            switch (o["date"], o["dateTime"]) {
            case (nil, nil): return "needs one of date and dateTime, has neither"
            case (.some, .some): return "needs exactly one of date and dateTime, has both"
            case (nil, .some(let dt)):
                if case .string(let s) = kind(of: dt), parseDateTime(s) == false, o["timeZone"] == nil {
                    return "dateTime \(show(s)) has no UTC offset and there is no timeZone"
                }
                return nil
            default: return nil
            }
        },
        // Further lists of possible values and limits from the descriptions.
        oneOf("Event.status", ["confirmed", "tentative", "cancelled"]),
        oneOf("Event.transparency", ["opaque", "transparent"]),
        oneOf("Event.visibility", ["default", "public", "private", "confidential"]),
        oneOf("Event.eventType", ["birthday", "default", "focusTime", "fromGmail", "outOfOffice", "workingLocation"]),
        oneOf("EventAttendee.responseStatus", ["needsAction", "declined", "tentative", "accepted"]),
        Rule(at: "Event.attachments", source: "There can be at most 25 attachments per event") { v in
            guard case .array(let a) = kind(of: v), a.count > 25 else { return nil }
            return "at most 25 attachments, got \(a.count)"
        },
    ]

    static let rulesByLocation = Dictionary(grouping: rules, by: \.at)

    /// A rule for a string field whose description lists its "Possible values".
    private static func oneOf(_ at: String, _ values: [String]) -> Rule {
        return Rule(at: at, source: "Possible values are: " + values.map(show).joined(separator: ", ")) { v in
            guard case .string(let s) = kind(of: v), !values.contains(s) else { return nil }
            let list = values.count == 2 ? values.map(show).joined(separator: " or ") : "one of " + values.map(show).joined(separator: ", ")
            return "must be \(list), got \(show(s))"
        }
    }

    // MARK: - Formats

    /// Nil when `s` is a valid value of `format` (or the format is not checked).
    static func checkFormat(_ format: String?, of s: String, offsetOptional: Bool) -> String? {
        switch format {
        case "date":
            let b = Array(s.utf8)
            return b.count == 10 && isDate(b) ? nil : "expected date YYYY-MM-DD, got \(show(s))"
        case "date-time":
            guard let hasOffset = parseDateTime(s) else { return "expected RFC 3339 date-time, got \(show(s))" }
            return hasOffset || offsetOptional ? nil : "expected RFC 3339 date-time with Z or a UTC offset, got \(show(s))"
        case "int64":
            return Int64(s) != nil ? nil : "expected int64 as a decimal string, got \(show(s))"
        case "uint64":
            return UInt64(s) != nil ? nil : "expected uint64 as a decimal string, got \(show(s))"
        default:
            return nil
        }
    }

    /// Whether `b` starts with `YYYY-MM-DD`, a day that exists.
    private static func isDate(_ b: [UInt8]) -> Bool {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2),
              (1...12).contains(m), d >= 1 else { return false }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }

    /// RFC 3339 `date-time`, with the offset optional: `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]`.
    /// `T` and `Z` may be lower case (RFC 3339 §5.6). Nil when malformed, else whether it has
    /// an offset (`Z` or `±HH:MM`).
    static func parseDateTime(_ s: String) -> Bool? {
        let b = Array(s.utf8)
        guard isDate(b), b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let sec = digits(b, 17, 2),
              h <= 23, mi <= 59, sec <= 60 else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            if i == start { return nil }
        }
        if i == b.count { return false }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count ? true : nil }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
              let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2), oh <= 23, om <= 59 else { return nil }
        return true
    }

    private static func digits(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from + count <= b.count else { return nil }
        var n = 0
        for c in b[from..<(from + count)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            n = n * 10 + Int(c - UInt8(ascii: "0"))
        }
        return n
    }

    // MARK: - JSON kinds

    /// The JSON type of a JSONSerialization (or plain Swift) value.
    enum Kind {
        case string(String), number(NSNumber), boolean(Bool), object([String: Any]), array([Any]), null, other(String)

        var name: String {
            switch self {
            case .string: "string"
            case .number: "number"
            case .boolean: "boolean"
            case .object: "object"
            case .array: "array"
            case .null: "null"
            case .other(let t): "a non-JSON value (\(t))"
            }
        }
    }

    /// The class JSONSerialization uses for `true` and `false` (`__NSCFBoolean` on Linux and Darwin).
    private static let booleanClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    /// Booleans and numbers both arrive as `NSNumber`, and `as? Bool` succeeds for the numbers 0
    /// and 1, so a boolean is recognised by its class (or its `objCType` "c"), never by casting.
    static func kind(of value: Any) -> Kind {
        if let b = value as? Bool, type(of: value) == Bool.self { return .boolean(b) }
        if value is NSNull { return .null }
        if let s = value as? String { return .string(s) }
        if let n = value as? NSNumber {
            if ObjectIdentifier(type(of: n)) == booleanClass || String(cString: n.objCType) == "c" && type(of: value) != Int8.self {
                return .boolean(n.boolValue)
            }
            return .number(n)
        }
        if let o = value as? [String: Any] { return .object(o) }
        if let a = value as? [Any] { return .array(a) }
        return .other(String(describing: type(of: value)))
    }

    static func isIntegral(_ n: NSNumber) -> Bool {
        switch String(cString: n.objCType) {
        case "d", "f":
            let d = n.doubleValue
            return d.isFinite && d.rounded(.towardZero) == d
        default:
            return true
        }
    }

    static func describe(_ n: NSNumber) -> String {
        switch String(cString: n.objCType) {
        case "d", "f":
            let d = n.doubleValue
            return d.isFinite && d.rounded(.towardZero) == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default:
            return n.stringValue
        }
    }

    static func show(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
