/// A VALARM, and its iCalendar text: the one reading and writing of its properties, for the
/// iCalendar reader and writer and for the alarms the Google mapping carries.
public struct Alarm: Hashable, Sendable, Codable {
    public enum Trigger: Hashable, Sendable, Codable {
        /// Relative to the event's start, or to its end with RELATED=END.
        case relative(ICalDuration, relatedToEnd: Bool)
        /// An absolute UTC date-time.
        case absolute(LocalDateTime)
    }

    /// AUDIO, DISPLAY, EMAIL or another; empty when the VALARM had no ACTION.
    public var action: AlarmAction
    public var trigger: Trigger?
    public var description: String?
    public var summary: String?
    public var repeatCount: Int?
    public var repeatInterval: ICalDuration?
    public var attendees: [CalendarUser] = []
    /// TRIGGER parameters other than RELATED and VALUE, verbatim.
    public var triggerParameters: [Parameter] = []
    /// Every other property of the alarm, verbatim (ATTACH, UID, X- properties, a second
    /// DESCRIPTION, one with parameters, …).
    public var properties: [Property] = []

    public init(action: AlarmAction, trigger: Trigger?) {
        self.action = action
        self.trigger = trigger
    }

    /// Reads a VALARM's content lines. A TRIGGER, REPEAT or DURATION that cannot be read is
    /// left out (the trigger is then nil, which the caller reports); the first DESCRIPTION and
    /// SUMMARY without parameters are typed, any other is kept verbatim so its parameters
    /// (LANGUAGE, ALTREP) survive.
    public init(contentLines lines: [Property]) {
        self.init(action: "", trigger: nil)
        for p in lines {
            switch p.name {
            case "ACTION": if action.text.isEmpty { action = AlarmAction(p.value) }
            case "TRIGGER":
                trigger = Trigger(property: p)
                triggerParameters = p.parameters.filter { $0.name != "RELATED" && $0.name != "VALUE" }
            case "REPEAT": repeatCount = Int(p.value)
            case "DURATION": repeatInterval = ICalDuration(icalString: p.value)
            case "DESCRIPTION" where description == nil && p.parameters.isEmpty: description = ICalText.unescape(p.value)
            case "SUMMARY" where summary == nil && p.parameters.isEmpty: summary = ICalText.unescape(p.value)
            case "ATTENDEE": attendees.append(CalendarUser(property: p))
            default: properties.append(p)
            }
        }
    }

    /// The VALARM's content lines, without BEGIN and END.
    public var contentLines: [Property] {
        var lines: [Property] = []
        forEachContentLine { lines.append($0) }
        return lines
    }

    /// `contentLines`, one at a time, without the list.
    public func forEachContentLine(_ body: (Property) -> Void) {
        if !action.text.isEmpty { body(Property(name: "ACTION", value: action.text)) }
        switch trigger {
        case .relative(let d, let end)?:
            body(Property(name: "TRIGGER", parameters: (end ? [Parameter("RELATED", "END")] : []) + triggerParameters, value: d.icalString))
        case .absolute(let t)?:
            body(Property(name: "TRIGGER", parameters: [Parameter("VALUE", "DATE-TIME")] + triggerParameters, value: t.basicFormat + "Z"))
        case nil: break
        }
        if let n = repeatCount { body(Property(name: "REPEAT", value: String(n))) }
        if let d = repeatInterval { body(Property(name: "DURATION", value: d.icalString)) }
        if let d = description { body(Property(name: "DESCRIPTION", value: ICalText.escape(d))) }
        if let s = summary { body(Property(name: "SUMMARY", value: ICalText.escape(s))) }
        for a in attendees { body(a.property(named: "ATTENDEE")) }
        properties.forEach(body)
    }
}

extension Alarm.Trigger {
    /// A TRIGGER line: a duration, or a date-time with VALUE=DATE-TIME. A value without VALUE
    /// that is not a duration is tried as a date-time, as libical reads it.
    public init?(property p: Property) {
        let dateTime = p.parameter("VALUE")?.value.uppercased() == "DATE-TIME"
        if !dateTime, let d = ICalDuration(icalString: p.value) {
            self = .relative(d, relatedToEnd: p.parameter("RELATED")?.value.uppercased() == "END")
        } else if let t = EventTime(icalValue: p.value, tzid: nil) {
            self = .absolute(t.localDateTime)
        } else {
            return nil
        }
    }
}
