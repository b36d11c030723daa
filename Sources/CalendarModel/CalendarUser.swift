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
        if hasMailtoScheme {
            // The scheme is seven ASCII Characters, and when the byte after it is ASCII too
            // no Character straddles the cut: drop bytes, not Characters (which costs more than
            // the rest of mapping an attendee). A combining mark after `mailto:` belongs to its
            // `:` Character and goes with it, as before.
            let u = address.utf8
            if u.count == 7 || u[u.index(u.startIndex, offsetBy: 7)] < 0x80 { return String(Substring(u.dropFirst(7))) }
            return String(address.dropFirst(7))
        }
        return address.contains("@") && !address.contains(":") ? address : nil
    }

    /// Whether the address starts with `mailto:` in any case (compared on the bytes: the
    /// scheme is ASCII, and no other character upper-cases to one of its letters' bytes).
    public var hasMailtoScheme: Bool {
        // An iterator over the bytes: `zip` and `prefix` over the view cost more than the rest
        // of reading an attendee.
        var bytes = address.utf8.makeIterator()
        for b in "mailto:".utf8 {
            guard let a = bytes.next(), a == b || (b >= 0x61 && b <= 0x7A && a == b - 0x20) else { return false }
        }
        return true
    }

    /// Reads an ORGANIZER or ATTENDEE line (its name is not looked at).
    public init(property p: Property) {
        self.init(address: p.value, parameters: p.parameters)
    }

    /// Reads the address and parameters of an ORGANIZER or ATTENDEE line, as `init(property:)`.
    public init(address: String, parameters ps: [Parameter]) {
        self.init(address: address)
        for param in ps {
            // Told apart by length first: a String `switch` compared each name with the cases
            // in turn, and a name that differs from a case is compared the slow way.
            let name = param.name
            switch name.utf8.count {
            case 2 where name == "CN": commonName = ParameterText.decode(param.value)
            case 4 where name == "ROLE": role = ParticipantRole(param.value)
            case 8 where name == "PARTSTAT": participationStatus = ParticipationStatus(param.value)
            case 6 where name == "CUTYPE": userType = CalendarUserType(param.value)
            case 4 where name == "RSVP": rsvp = param.value.caseInsensitiveEquals("TRUE")
            default: parameters.append(param)
            }
        }
    }

    /// The line `name` (ORGANIZER or ATTENDEE): the typed parameters first, then the others
    /// in the order read.
    public func property(named name: String) -> Property {
        var params: [Parameter] = []
        forEachTypedParameter { params.append(Parameter($0, $1)) }
        return Property(name: name, parameters: params + parameters, value: address)
    }

    /// The typed parameters as the line holds them, in its order (`parameters` follow them),
    /// for a writer that writes the line without making it.
    public func forEachTypedParameter(_ body: (_ name: String, _ value: String) -> Void) {
        if let cn = commonName { body("CN", ParameterText.encode(cn)) }
        if let v = userType { body("CUTYPE", v.text) }
        if let v = role { body("ROLE", v.text) }
        if let v = participationStatus { body("PARTSTAT", v.text) }
        if let v = rsvp { body("RSVP", v ? "TRUE" : "FALSE") }
    }
}
