/// The values an RFC 5545 enumerated parameter or property has registered (section 8.3),
/// in the spelling the RFC gives them.
public protocol ValueRegistry: Sendable {
    static var registered: [String] { get }
}

/// An RFC 5545 enumerated value: PARTSTAT, ROLE, CUTYPE, ACTION, CLASS.
///
/// RFC 5545 section 2 makes these case-insensitive, and producers differ (`PARTSTAT=accepted`
/// is common): values compare without regard to case, a registered value is written in the
/// RFC's spelling, and any other (X- names, IANA values registered later) is kept as written.
public struct EnumeratedValue<Registry: ValueRegistry>: Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The value as it is written.
    public let text: String

    public init(_ text: String) {
        if Registry.registered.contains(text) { self.text = text; return }
        let upper = text.uppercased()
        self.text = Registry.registered.first { $0 == upper } ?? text
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// Whether the value is one RFC 5545 (or its registry) defines, rather than an X- or
    /// otherwise unknown name.
    public var isRegistered: Bool { Registry.registered.contains(text) }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { a.text == b.text || a.text.caseInsensitiveEquals(b.text) }

    /// Equal values hash alike whatever their case; a value already in upper case (every
    /// registered one) is hashed without making an upper-case copy.
    public func hash(into hasher: inout Hasher) {
        if text.utf8.allSatisfy({ $0 < 0x80 && !(0x61...0x7A).contains($0) }) { hasher.combine(text) } else { hasher.combine(text.uppercased()) }
    }

    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

/// PARTSTAT (RFC 5545 3.2.12); the last three are for VTODO but seen on events too.
public enum ParticipationStatusRegistry: ValueRegistry {
    public static let registered = ["NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "COMPLETED", "IN-PROCESS"]
}
public typealias ParticipationStatus = EnumeratedValue<ParticipationStatusRegistry>

extension EnumeratedValue where Registry == ParticipationStatusRegistry {
    public static var needsAction: Self { "NEEDS-ACTION" }
    public static var accepted: Self { "ACCEPTED" }
    public static var declined: Self { "DECLINED" }
    public static var tentative: Self { "TENTATIVE" }
}

/// ROLE (RFC 5545 3.2.16).
public enum ParticipantRoleRegistry: ValueRegistry {
    public static let registered = ["CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"]
}
public typealias ParticipantRole = EnumeratedValue<ParticipantRoleRegistry>

extension EnumeratedValue where Registry == ParticipantRoleRegistry {
    public static var chair: Self { "CHAIR" }
    public static var requiredParticipant: Self { "REQ-PARTICIPANT" }
    public static var optionalParticipant: Self { "OPT-PARTICIPANT" }
}

/// CUTYPE (RFC 5545 3.2.3).
public enum CalendarUserTypeRegistry: ValueRegistry {
    public static let registered = ["INDIVIDUAL", "GROUP", "RESOURCE", "ROOM", "UNKNOWN"]
}
public typealias CalendarUserType = EnumeratedValue<CalendarUserTypeRegistry>

extension EnumeratedValue where Registry == CalendarUserTypeRegistry {
    public static var individual: Self { "INDIVIDUAL" }
    public static var resource: Self { "RESOURCE" }
    public static var room: Self { "ROOM" }
}

/// ACTION of a VALARM (RFC 5545 3.8.6.1).
public enum AlarmActionRegistry: ValueRegistry {
    public static let registered = ["AUDIO", "DISPLAY", "EMAIL"]
}
public typealias AlarmAction = EnumeratedValue<AlarmActionRegistry>

extension EnumeratedValue where Registry == AlarmActionRegistry {
    public static var audio: Self { "AUDIO" }
    public static var display: Self { "DISPLAY" }
    public static var email: Self { "EMAIL" }
}

/// CLASS (RFC 5545 3.8.1.3).
public enum ClassificationRegistry: ValueRegistry {
    public static let registered = ["PUBLIC", "PRIVATE", "CONFIDENTIAL"]
}
public typealias Classification = EnumeratedValue<ClassificationRegistry>

extension EnumeratedValue where Registry == ClassificationRegistry {
    public static var `public`: Self { "PUBLIC" }
    public static var `private`: Self { "PRIVATE" }
    public static var confidential: Self { "CONFIDENTIAL" }
}
