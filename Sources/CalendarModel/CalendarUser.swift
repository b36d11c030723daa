/// ORGANIZER or ATTENDEE, and its iCalendar text: the one reading and writing of the
/// property's parameters, for the iCalendar reader and writer and for the lines the Google
/// mapping carries.
public struct CalendarUser: Hashable, Sendable, Codable {
    /// The cal-address as written, usually `mailto:…`.
    public var address: String
    public var commonName: String?
    public var role: ParticipantRole?
    public var participationStatus: ParticipationStatus?
    public var userType: CalendarUserType?
    public var rsvp: Bool?
    /// Parameters not held above (DELEGATED-TO, SENT-BY, X-NUM-GUESTS, …), verbatim.
    public var parameters: [Parameter] = []

    public init(address: String) { self.address = address }

    /// The e-mail address without the `mailto:` scheme, when the address is one.
    public var email: String? {
        // An ASCII address is compared on its bytes, without a lower-cased copy.
        let u = address.utf8
        if u.count >= 7 && u.allSatisfy({ $0 < 0x80 }) {
            let scheme = "mailto:".utf8
            if zip(u, scheme).allSatisfy({ a, b in a == b || (a >= 0x41 && a <= 0x5A && a + 0x20 == b) }) {
                return String(address.dropFirst(7))
            }
        } else if address.lowercased().hasPrefix("mailto:") {
            return String(address.dropFirst(7))
        }
        return address.contains("@") && !address.contains(":") ? address : nil
    }

    /// Reads an ORGANIZER or ATTENDEE line (its name is not looked at).
    public init(property p: Property) {
        self.init(address: p.value)
        for param in p.parameters {
            switch param.name {
            case "CN": commonName = ParameterText.decode(param.value)
            case "ROLE": role = ParticipantRole(param.value)
            case "PARTSTAT": participationStatus = ParticipationStatus(param.value)
            case "CUTYPE": userType = CalendarUserType(param.value)
            case "RSVP": rsvp = param.value.uppercased() == "TRUE"
            default: parameters.append(param)
            }
        }
    }

    /// The line `name` (ORGANIZER or ATTENDEE): the typed parameters first, then the others
    /// in the order read.
    public func property(named name: String) -> Property {
        var params: [Parameter] = []
        if let cn = commonName { params.append(Parameter("CN", ParameterText.encode(cn))) }
        if let v = userType { params.append(Parameter("CUTYPE", v.text)) }
        if let v = role { params.append(Parameter("ROLE", v.text)) }
        if let v = participationStatus { params.append(Parameter("PARTSTAT", v.text)) }
        if let v = rsvp { params.append(Parameter("RSVP", v ? "TRUE" : "FALSE")) }
        return Property(name: name, parameters: params + parameters, value: address)
    }
}
