import Foundation

/// The `resources` part of a discovery document: every method's id, HTTP method, path template
/// and query parameters, so the fake can check query strings the way Google does (an unknown
/// parameter or a malformed value is a 400).
public struct DiscoveryMethods: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var type: String
        public var location: String
        public var required: Bool
        public var repeated: Bool
        public var enumValues: [String]?
        public var minimum: Int?
        public var maximum: Int?
    }

    public struct Method: Sendable {
        /// "calendar.events.import".
        public var id: String
        public var httpMethod: String
        /// Relative to the service path: "calendars/{calendarId}/events/import".
        public var path: String
        public var parameters: [String: Parameter]
    }

    public let methods: [String: Method]
    /// Parameters every method takes (`fields`, `prettyPrint`, `alt`, ...).
    public let globalParameters: [String: Parameter]
    /// "calendar/v3/".
    public let servicePath: String
    /// "batch/calendar/v3".
    public let batchPath: String

    public init(contentsOf url: URL) throws {
        try self.init(data: try Data(contentsOf: url), source: url.path)
    }

    /// The methods of the document embedded in the fake (`DiscoveryEmbedded.swift`).
    public static func embedded() throws -> DiscoveryMethods {
        try DiscoveryMethods(data: Data(DiscoveryDocument.embeddedCalendarV3.utf8), source: "the embedded discovery document")
    }

    /// `source` names the document in errors.
    public init(data: Data, source: String) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DiscoveryDocument.LoadError(description: "\(source): not a discovery document")
        }
        servicePath = root["servicePath"] as? String ?? ""
        batchPath = root["batchPath"] as? String ?? ""
        globalParameters = Self.parameters(root["parameters"])
        var methods: [String: Method] = [:]
        func walk(_ resources: Any?) {
            guard let resources = resources as? [String: Any] else { return }
            for (_, resource) in resources {
                guard let resource = resource as? [String: Any] else { continue }
                for (_, m) in resource["methods"] as? [String: Any] ?? [:] {
                    guard let m = m as? [String: Any], let id = m["id"] as? String else { continue }
                    methods[id] = Method(
                        id: id, httpMethod: m["httpMethod"] as? String ?? "GET",
                        path: m["flatPath"] as? String ?? m["path"] as? String ?? "",
                        parameters: Self.parameters(m["parameters"]))
                }
                walk(resource["resources"])
            }
        }
        walk(root["resources"])
        self.methods = methods
    }

    private static func parameters(_ any: Any?) -> [String: Parameter] {
        var result: [String: Parameter] = [:]
        for (name, p) in any as? [String: Any] ?? [:] {
            guard let p = p as? [String: Any] else { continue }
            result[name] = Parameter(
                name: name, type: p["type"] as? String ?? "string", location: p["location"] as? String ?? "query",
                required: p["required"] as? Bool ?? false, repeated: p["repeated"] as? Bool ?? false,
                enumValues: p["enum"] as? [String],
                minimum: (p["minimum"] as? String).flatMap { Int($0) }, maximum: (p["maximum"] as? String).flatMap { Int($0) })
        }
        return result
    }

    /// Problems with a request's query items for method `id`: unknown names, values of the
    /// wrong type, outside an enum or a range, and required query parameters missing.
    func queryProblems(_ items: [(name: String, value: String)], method id: String) -> [APIError] {
        guard let method = methods[id] else { return [] }
        var problems: [APIError] = []
        var seen = Set<String>()
        for (name, value) in items {
            guard let p = method.parameters[name].flatMap({ $0.location == "query" ? $0 : nil }) ?? globalParameters[name] else {
                problems.append(.invalid(
                    "Invalid JSON payload received. Unknown name \"\(name)\": Cannot bind query parameter. Field '\(name)' could not be found in request message.",
                    location: name))
                continue
            }
            if !seen.insert(name).inserted && !p.repeated {
                problems.append(.invalid("Parameter \(name) may be given only once", location: name))
            }
            switch p.type {
            case "integer":
                guard let n = Int(value) else {
                    problems.append(.invalid("Invalid value '\(value)'. Values must match the following regular expression: '-?\\d+'", location: name))
                    continue
                }
                if let min = p.minimum, n < min { problems.append(.invalid("Invalid value '\(value)' for \(name): must be at least \(min)", location: name)) }
                if let max = p.maximum, n > max { problems.append(.invalid("Invalid value '\(value)' for \(name): must be at most \(max)", location: name)) }
            case "boolean":
                if value != "true" && value != "false" {
                    problems.append(.invalid("Invalid value '\(value)'. Values must match the following regular expression: '(true|false)'", location: name))
                }
            default:
                if let allowed = p.enumValues, !allowed.contains(value) {
                    problems.append(.invalid("Invalid value '\(value)' for \(name): must be one of \(allowed.joined(separator: ", "))", location: name))
                }
            }
        }
        for (name, p) in method.parameters where p.location == "query" && p.required && !seen.contains(name) {
            problems.append(.required("Required parameter: \(name)"))
        }
        return problems
    }
}
