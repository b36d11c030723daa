import CalendarModel

/// ORGANIZER and ATTENDEE <-> Google's organizer and attendees.
enum PeopleMapping {
    /// PARTSTAT <-> responseStatus; one table, read both ways.
    static let participation = ValueTable<ParticipationStatus>([
        (.needsAction, "needsAction"), (.accepted, "accepted"), (.declined, "declined"), (.tentative, "tentative"),
    ])
    /// Parameters Google's attendee fields hold, besides CN/ROLE/PARTSTAT/CUTYPE.
    static let attendeeParameters: Set<String> = ["X-NUM-GUESTS", "X-RESPONSE-COMMENT", "X-GOOGLE-ID", "X-GOOGLE-SELF", "X-GOOGLE-ORGANIZER"]
    static let organizerParameters: Set<String> = ["X-GOOGLE-ID", "X-GOOGLE-SELF"]

    static func email(of address: String) -> String? { CalendarUser(address: address).email }

    /// `email(of: address)?.lowercased()`, on the bytes when the address is ASCII (nearly
    /// always): there every Character is a byte, so `mailto:` is its first 7 bytes and `@`
    /// and `:` are bytes, and lower-casing maps A to Z alone. (`email` drops the scheme by
    /// Characters, which costs more than the rest of matching an attendee.)
    static func lowercasedEmail(of address: String) -> String? {
        let mailto = CalendarUser(address: address).hasMailtoScheme
        var address = address
        let fast = address.withUTF8 { u -> String?? in
            guard !u.contains(where: { $0 >= 0x80 }) else { return .none }
            var from = 0
            if mailto {
                from = 7
            } else if !u.contains(UInt8(ascii: "@")) || u.contains(UInt8(ascii: ":")) {
                return .some(nil)
            }
            let rest = UnsafeBufferPointer(rebasing: u[from...])
            return .some(String(unsafeUninitializedCapacity: rest.count) { out in
                for (k, b) in rest.enumerated() { out[k] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
                return rest.count
            })
        }
        if let fast { return fast }
        return email(of: address)?.lowercased()
    }

    /// `lowercasedEmail(of: address) == email.lowercased()` (Google's e-mail address is the
    /// one `address` gives, in any case), without making either lower-cased String: compared on
    /// the bytes, letters folded, when both are ASCII (nearly always), as `lowercasedEmail`
    /// reads the address. Anything else, as Strings: a non-ASCII letter can lower-case to an
    /// ASCII one (the Kelvin sign to `k`).
    static func isAddress(_ address: String, ofEmail email: String) -> Bool {
        let mailto = CalendarUser(address: address).hasMailtoScheme
        var address = address, email = email
        let fast = address.withUTF8 { u in
            email.withUTF8 { e -> Bool? in
                guard !u.contains(where: { $0 >= 0x80 }), !e.contains(where: { $0 >= 0x80 }) else { return nil }
                var from = 0
                if mailto {
                    from = 7
                } else if !u.contains(UInt8(ascii: "@")) || u.contains(UInt8(ascii: ":")) {
                    return false  // no e-mail address
                }
                guard u.count - from == e.count else { return false }
                for k in 0..<e.count where u[from + k] != e[k] {
                    let x = u[from + k], y = e[k]
                    guard (x | 0x20) == (y | 0x20), (x | 0x20) >= 0x61, (x | 0x20) <= 0x7A else { return false }
                }
                return true
            }
        }
        if let fast { return fast }
        return lowercasedEmail(of: address).map { $0 == email.lowercased() } ?? false
    }

    static func sameAddress(_ address: String, _ email: String?) -> Bool {
        guard let a = self.email(of: address), let email else { return false }
        return a.lowercased() == email.lowercased()
    }

    /// The Google organizer, and the whole ORGANIZER line when Google cannot hold all of it.
    static func organizer(_ u: CalendarUser) -> (GoogleEvent.Person?, Property?) {
        guard let email = u.email else { return (nil, u.property(named: "ORGANIZER")) }
        var p = GoogleEvent.Person(email: email, displayName: u.commonName)
        p.id = u.parameters.first { $0.name == "X-GOOGLE-ID" }?.value
        if u.parameters.contains(where: { $0.name == "X-GOOGLE-SELF" && $0.value.uppercased() == "TRUE" }) { p.`self` = true }
        let lossy = u.role != nil || u.participationStatus != nil || u.userType != nil || u.rsvp != nil
            || u.parameters.contains { !organizerParameters.contains($0.name) } || !u.hasMailtoScheme
        return (p, lossy ? u.property(named: "ORGANIZER") : nil)
    }

    /// What an attendee's Google fields do not say, carried for it: `RSVP`, roles, statuses and
    /// CUTYPEs Google lacks, the other parameters, and what restores how the line spelled
    /// Google's defaults (`CUTYPE=INDIVIDUAL`, and `X-CALPORT-UNSET=ROLE,PARTSTAT` for a line
    /// that had neither). CN, PARTSTAT, ROLE and CUTYPE that Google's fields say exactly are not
    /// repeated: Outlook writes all of them on every ATTENDEE, and whole lines took a
    /// 400-attendee meeting to 64 kB. Each parameter has its worth, for when not all fit
    /// (`Carrier.Worth`): spelling, vendor (X- parameters) or meaning.
    struct Residue: Sendable {
        var address: String
        /// The parameters, in the order they are carried.
        private(set) var parameterList: [Parameter] = []
        /// `parameterList[i]`'s worth in bits `2i` and `2i + 1`, for the first 32; those after
        /// in `laterWorths`. A list of (parameter, worth) pairs beside `parameterList`, which
        /// the carrier needs as it is, was a second allocation for each attendee, and the worths
        /// are only read for the few events over Google's limits.
        private var worthBits: UInt64 = 0
        private var laterWorths: [Carrier.Worth] = []

        init(address: String, capacity: Int = 0) {
            self.address = address
            parameterList.reserveCapacity(capacity)
        }

        init(address: String, parameters: [(parameter: Parameter, worth: Carrier.Worth)]) {
            self.init(address: address, capacity: parameters.count)
            for p in parameters { append(p.parameter, p.worth) }
        }

        mutating func append(_ p: Parameter, _ worth: Carrier.Worth) {
            let i = parameterList.count
            parameterList.append(p)
            if i < 32 { worthBits |= UInt64(worth.rawValue) << UInt64(2 * i) } else { laterWorths.append(worth) }
        }

        func worth(_ i: Int) -> Carrier.Worth {
            i < 32 ? Carrier.Worth(rawValue: Int((worthBits >> UInt64(2 * i)) & 3))! : laterWorths[i - 32]
        }

        /// Each parameter with its worth.
        var parameters: [(parameter: Parameter, worth: Carrier.Worth)] {
            parameterList.indices.map { (parameterList[$0], worth($0)) }
        }
    }

    /// How a warning names the part of a residue of one worth: `parameters RSVP, X-FOO`,
    /// `parameters CUTYPE=INDIVIDUAL, no ROLE/PARTSTAT`, or `the address spelling`.
    static func describe(_ r: Residue, worth: Carrier.Worth) -> String {
        let names = r.parameters.filter { $0.worth == worth }.map(\.parameter).map {
            $0.name == unsetParameter ? "no " + $0.values.joined(separator: "/") : worth == .spelling ? $0.name + "=" + $0.value : $0.name
        }
        return names.isEmpty ? "the address spelling" : "parameters \(names.joined(separator: ", "))"
    }

    /// How an attendee's carried data travels: as a compact residue, or as the whole line
    /// (no Google attendee, or an address that cannot sit in a list of addresses).
    enum Carried: Sendable {
        case line(Property)
        case residue(Residue)
    }

    /// The carried line that holds the residues of the attendees sharing one set of parameters.
    static let residueMarker = "X-CALPORT-ATTENDEES"
    /// Names the typed parameters a residue's attendee did not have (Google's fields would give
    /// them their default values).
    static let unsetParameter = "X-CALPORT-UNSET"

    static func attendee(_ u: CalendarUser) -> (GoogleEvent.Attendee?, Carried?) {
        guard let email = u.email else { return (nil, .line(u.property(named: "ATTENDEE"))) }
        var a = GoogleEvent.Attendee()
        a.email = email
        a.displayName = u.commonName
        // Registered values are held in the RFC's spelling (`EnumeratedValue`), so comparing
        // the text says what `==` says, without making a value of each literal.
        let role = u.role?.text, userType = u.userType?.text
        if role == "OPT-PARTICIPANT" { a.optional = true }
        if userType == "RESOURCE" || userType == "ROOM" { a.resource = true }
        a.responseStatus = participation.google(u.participationStatus) ?? "needsAction"
        for p in u.parameters {
            switch p.name {
            case "X-NUM-GUESTS": a.additionalGuests = Int(p.value)
            case "X-RESPONSE-COMMENT": a.comment = ParameterText.decode(p.value)
            case "X-GOOGLE-ID": a.id = p.value
            case "X-GOOGLE-SELF": a.`self` = p.value.uppercased() == "TRUE" ? true : nil
            case "X-GOOGLE-ORGANIZER": a.organizer = p.value.uppercased() == "TRUE" ? true : nil
            default: break
            }
        }
        // Anything the Google attendee cannot say exactly is carried.
        let lossy = !(role == nil || role == "REQ-PARTICIPANT" || role == "OPT-PARTICIPANT")
            || !(userType == nil || userType == "INDIVIDUAL" || userType == "RESOURCE")
            || u.rsvp != nil || (u.participationStatus != nil && participation.google(u.participationStatus) == nil)
            || u.parameters.contains { !attendeeParameters.contains($0.name) }
            || !u.hasMailtoScheme
            || (u.additionalGuests != nil && a.additionalGuests == nil)
        guard lossy else { return (a, nil) }
        // A residue line lists addresses without `mailto:`; any other address keeps its line.
        // On the bytes: the Character-wise rest differs from them only by combining marks
        // after `mailto:`, which hold neither byte.
        let rest = u.address.utf8.dropFirst(7)
        guard u.address.hasPrefix("mailto:"), !rest.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ":") }) else { return (a, .line(u.property(named: "ATTENDEE"))) }
        return (a, .residue(residue(u, a)))
    }

    /// The parameters of `u` that Google attendee `a` does not give back by itself.
    static func residue(_ u: CalendarUser, _ a: GoogleEvent.Attendee) -> Residue {
        // At most CUTYPE, ROLE, PARTSTAT, RSVP and the unset names besides the others: room
        // for them at once.
        var r = Residue(address: u.address, capacity: 5 + u.parameters.count)
        func add(_ p: Parameter, _ worth: Carrier.Worth) { r.append(p, worth) }
        var unsetRole = false, unsetStatus = false
        // On the values' text, as in `attendee`.
        switch u.userType?.text {
        case nil, "RESOURCE"?: break  // what `resource` says
        case "INDIVIDUAL"?: add(Parameter("CUTYPE", "INDIVIDUAL"), .spelling)  // RFC 5545's default
        case let v?: add(Parameter("CUTYPE", v), .meaning)
        }
        switch u.role?.text {
        case nil: unsetRole = true
        case "REQ-PARTICIPANT"?, "OPT-PARTICIPANT"?: break  // what `optional` says
        case let v?: add(Parameter("ROLE", v), .meaning)
        }
        switch u.participationStatus {
        case nil: unsetStatus = true
        case let v? where participation.google(v) != nil: break  // what `responseStatus` says
        case let v?: add(Parameter("PARTSTAT", v.text), .meaning)
        }
        if let v = u.rsvp { add(Parameter("RSVP", v ? "TRUE" : "FALSE"), .meaning) }
        for p in u.parameters where !attendeeParameters.contains(p.name) || (p.name == "X-NUM-GUESTS" && a.additionalGuests == nil) {
            add(p, p.name.hasPrefix("X-") ? .vendor : .meaning)
        }
        if unsetRole || unsetStatus {
            add(unsetRole && unsetStatus ? unset.both : unsetRole ? unset.role : unset.status, .spelling)
        }
        return r
    }

    /// The `unsetParameter` lines a residue may hold, made once (not a list of names for each
    /// attendee).
    private static let unset = (both: Parameter(name: unsetParameter, values: ["ROLE", "PARTSTAT"]),
                                role: Parameter(unsetParameter, "ROLE"), status: Parameter(unsetParameter, "PARTSTAT"))

    /// Residues as carried lines: one per distinct set of parameters, its value the addresses
    /// that share it, `mailto:` left out (`;CUTYPE=INDIVIDUAL;RSVP=TRUE:a@example.com,b@example.com`),
    /// so that the same parameters on 400 attendees are written once. Only `mailto:` addresses
    /// without `,` or another `:` have residues (`attendee`). `parameters(i)` gives what is
    /// carried of `residues[i]`: nil for nothing (not even its address), else the parameters.
    /// Each line is given as the carrier keeps it, after its name (`residueMarker`): written
    /// into one buffer per line as the addresses come, not made a `Property` and written again.
    static func residueLines(_ residues: [Residue], parameters: (Int) -> [Parameter]?) -> [String] {
        // Meetings have a few distinct sets among many attendees: finding a set by comparing
        // it with the few seen costs less than hashing every attendee's parameters. Past 16
        // sets, an index by hash takes over.
        var lines: [(parameters: [Parameter], text: [UInt8], valueStart: Int)] = []
        var index: [[Parameter]: Int] = [:]
        // Room in each line for the addresses it may get (up to a kilobyte), so that it is not
        // grown an address at a time.
        let room = min(1024, residues.reduce(0) { $0 + $1.address.utf8.count })
        for k in residues.indices {
            guard let parameters = parameters(k) else { continue }
            let i: Int
            if lines.count < 16, let j = lines.firstIndex(where: { $0.parameters == parameters }) {
                i = j
            } else if lines.count >= 16, let j = index[parameters] {
                i = j
            } else {
                i = lines.count
                // The line up to its value: `;CUTYPE=INDIVIDUAL;RSVP=TRUE:`.
                var text: [UInt8] = []
                text.reserveCapacity(64 + room)
                Property(name: residueMarker, parameters: parameters, value: "").appendContentLine(to: &text, withName: false)
                lines.append((parameters, text, text.count))
                if lines.count == 16 {
                    for (j, l) in lines.enumerated() { index[l.parameters] = j }
                } else if lines.count > 16 {
                    index[parameters] = i
                }
            }
            if lines[i].text.count > lines[i].valueStart { lines[i].text.append(UInt8(ascii: ",")) }
            var address = residues[k].address
            address.withUTF8 { lines[i].text.append(contentsOf: UnsafeBufferPointer(rebasing: $0.dropFirst(7))) }
        }
        return lines.map { String(decoding: $0.text, as: UTF8.self) }
    }

    /// The residues `residueLines` wrote, in order.
    static func residues(_ lines: [Property]) -> [(address: String, parameters: [Parameter])] {
        var out: [(address: String, parameters: [Parameter])] = []
        for line in lines {
            // In ASCII every byte is a Character: split the bytes, each address made at once.
            var value = line.value
            let ascii = value.withUTF8 { u -> Bool in
                guard !u.contains(where: { $0 >= 0x80 }) else { return false }
                // Room for this line's addresses at once, as they are counted by their commas.
                out.reserveCapacity(out.count + u.count(where: { $0 == UInt8(ascii: ",") }) + 1)
                var start = 0
                for j in 0...u.count where j == u.count || u[j] == UInt8(ascii: ",") {
                    let piece = UnsafeBufferPointer(rebasing: u[start..<j])
                    let address = String(unsafeUninitializedCapacity: 7 + piece.count) { s in
                        for (k, b) in "mailto:".utf8.enumerated() { s[k] = b }
                        _ = UnsafeMutableBufferPointer(rebasing: s[7...]).initialize(from: piece)
                        return 7 + piece.count
                    }
                    out.append((address, line.parameters))
                    start = j + 1
                }
                return true
            }
            if !ascii {
                out += line.value.split(separator: ",", omittingEmptySubsequences: false).map { ("mailto:" + $0, line.parameters) }
            }
        }
        return out
    }

    static func calendarUser(organizer o: GoogleEvent.Person, carried: Property?) -> CalendarUser {
        var u: CalendarUser
        if let carried, sameAddress(carried.value, o.email) { u = CalendarUser(property: carried) } else {
            u = CalendarUser(address: "mailto:" + (o.email ?? ""))
        }
        u.commonName = o.displayName ?? (carried == nil ? nil : u.commonName)
        set(&u, "X-GOOGLE-ID", o.id)
        set(&u, "X-GOOGLE-SELF", o.`self` == true ? "TRUE" : nil)
        return u
    }

    /// A Google attendee with its carried residue: what Google's fields say, then the
    /// residue's parameters over it.
    static func calendarUser(attendee a: GoogleEvent.Attendee, address: String, residue: [Parameter]) -> CalendarUser {
        let unsetNames = residue.first { $0.name == unsetParameter }
        var u = CalendarUser(address: address, parameters: unsetNames == nil ? residue : residue.filter { $0.name != unsetParameter })
        let unset = unsetNames?.values ?? []
        if u.role == nil && !unset.contains("ROLE") { u.role = a.optional == true ? .optionalParticipant : .requiredParticipant }
        if u.userType == nil && a.resource == true { u.userType = .resource }
        if u.participationStatus == nil && !unset.contains("PARTSTAT") {
            u.participationStatus = participation.model(a.responseStatus ?? "needsAction")
        }
        return calendarUser(attendee: a, carried: u)
    }

    /// A Google attendee; Google's values win over the carried line where they differ, so
    /// that changes made in Google come through.
    static func calendarUser(attendee a: GoogleEvent.Attendee, carried: Property?) -> CalendarUser {
        calendarUser(attendee: a, carried: carried.map(CalendarUser.init(property:)))
    }

    private static func calendarUser(attendee a: GoogleEvent.Attendee, carried: CalendarUser?) -> CalendarUser {
        var u = carried ?? CalendarUser(address: "mailto:" + (a.email ?? ""))
        u.commonName = a.displayName
        let isOptional = a.optional == true
        // A registered value is held in its registered spelling (`EnumeratedValue.init`), so its
        // text says whether it equals one, without making the value to compare with.
        if (u.role?.text == "OPT-PARTICIPANT") != isOptional { u.role = isOptional ? .optionalParticipant : nil }
        if carried == nil { u.role = isOptional ? .optionalParticipant : .requiredParticipant }
        let isResource = a.resource == true
        if (u.userType?.text == "RESOURCE" || u.userType?.text == "ROOM") != isResource { u.userType = isResource ? .resource : nil }
        if carried == nil && isResource { u.userType = .resource }
        let status = a.responseStatus ?? "needsAction"
        // What calport sent for the carried PARTSTAT (statuses Google lacks went as needsAction).
        let carriedStatus = participation.google(u.participationStatus) ?? "needsAction"
        if carriedStatus != status || carried == nil {
            u.participationStatus = participation.model(status)
            if carried == nil && status == "needsAction" && a.responseStatus == nil { u.participationStatus = nil }
        }
        set(&u, "X-NUM-GUESTS", a.additionalGuests.map(String.init))
        set(&u, "X-RESPONSE-COMMENT", a.comment.map(ParameterText.encode))
        set(&u, "X-GOOGLE-ID", a.id)
        set(&u, "X-GOOGLE-SELF", a.`self` == true ? "TRUE" : nil)
        set(&u, "X-GOOGLE-ORGANIZER", a.organizer == true ? "TRUE" : nil)
        return u
    }

    private static func set(_ u: inout CalendarUser, _ name: String, _ value: String?) {
        if let i = u.parameters.firstIndex(where: { $0.name == name }) {
            if let value { u.parameters[i] = Parameter(name, value) } else { u.parameters.remove(at: i) }
        } else if let value {
            u.parameters.append(Parameter(name, value))
        }
    }
}

extension CalendarUser {
    var additionalGuests: String? { parameters.first { $0.name == "X-NUM-GUESTS" }?.value }
}
