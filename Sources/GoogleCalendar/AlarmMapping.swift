import CalendarModel

/// VALARM <-> reminders. An alarm Google can act on (display, audio or e-mail, a whole
/// number of minutes before the start, 0...40320) becomes a reminder override; every alarm
/// is also carried whole, so the .ics comes back exactly. No VALARM means no reminders
/// (`useDefault: false`), never the calendar's default reminders.
enum AlarmMapping {
    static let maximumOverrides = 5
    static let maximumMinutes = 40320

    static func method(of a: Alarm) -> String? {
        switch a.action {
        case "DISPLAY", "AUDIO": return "popup"
        case "EMAIL": return "email"
        default: return nil
        }
    }

    /// Minutes before the start, when the alarm is one Google can hold.
    static func minutes(of a: Alarm) -> Int? {
        guard case .relative(let d, relatedToEnd: false)? = a.trigger, a.repeatCount == nil else { return nil }
        let seconds = -d.totalSeconds
        guard seconds >= 0, seconds % 60 == 0, seconds / 60 <= maximumMinutes else { return nil }
        return seconds / 60
    }

    static func reminders(_ alarms: [Alarm], useDefault: Bool) -> (GoogleEvent.Reminders, [Property], [String]) {
        var r = GoogleEvent.Reminders()
        var residues: [Property] = []
        var notes: [String] = []
        if useDefault && alarms.isEmpty {
            r.useDefault = true
            return (r, [], [])
        }
        r.useDefault = false
        residues.reserveCapacity(alarms.count)
        var overrides: [GoogleEvent.Reminder] = []
        for a in alarms {
            residues.append(Property(name: "VALARM", value: text(a)))
            guard let m = method(of: a), let minutes = minutes(of: a) else {
                notes.append("a \(a.action) alarm (\(describe(a.trigger))) has no Google reminder equivalent; carried in extendedProperties")
                continue
            }
            let reminder = GoogleEvent.Reminder(method: m, minutes: minutes)
            if overrides.contains(reminder) { continue }
            if overrides.count == maximumOverrides {
                notes.append("Google holds at most \(maximumOverrides) reminders; the alarm \(minutes) minutes before is carried in extendedProperties only")
                continue
            }
            overrides.append(reminder)
        }
        r.overrides = overrides.isEmpty ? nil : overrides
        return (r, residues, notes)
    }

    private static func describe(_ t: Alarm.Trigger?) -> String {
        switch t {
        case .relative(let d, let end)?: return "\(d.icalString) from the \(end ? "end" : "start")"
        case .absolute(let t)?: return "at \(t.basicFormat)Z"
        case nil: return "no trigger"
        }
    }

    /// Alarms from Google's reminders, using carried VALARMs where they match (and always
    /// for alarms Google could not hold). Returns whether the calendar's defaults apply.
    static func alarms(_ r: GoogleEvent.Reminders?, carried: [String], summary: String?, organizer: String?) -> ([Alarm], Bool) {
        var pool = carried.compactMap(parse)
        var out: [Alarm] = []
        for o in r?.overrides ?? [] {
            guard let method = o.method, let minutes = o.minutes else { continue }
            if let i = pool.firstIndex(where: { self.method(of: $0) == method && self.minutes(of: $0) == minutes }) {
                out.append(pool.remove(at: i))
            } else {
                var a = Alarm(action: method == "email" ? .email : .display,
                              trigger: .relative(ICalDuration(isNegative: minutes > 0, minutes: minutes), relatedToEnd: false))
                a.description = "This is an event reminder"
                if method == "email" {
                    a.summary = summary ?? "Reminder"
                    if let organizer { a.attendees = [CalendarUser(address: "mailto:" + organizer)] }
                }
                out.append(a)
            }
        }
        // Carried alarms that Google could never act on are not affected by edits in Google.
        out += pool.filter { method(of: $0) == nil || minutes(of: $0) == nil || (r?.overrides?.count ?? 0) >= maximumOverrides }
        return (out, r?.useDefault == true && (r?.overrides ?? []).isEmpty)
    }

    // The carried form: the VALARM's content lines joined by LF (one at a time, without
    // the list of them).
    static func text(_ a: Alarm) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        a.forEachContentLine { line in
            if !out.isEmpty { out.append(0x0A) }
            line.appendContentLine(to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func parse(_ text: String) -> Alarm? {
        var lines: [Property] = []
        // Without CR every LF is a Character of its own: split the bytes (a CR LF pair is one
        // Character, which splitting on "\n" does not cut), and read each line where it
        // stands, without a String for it. Empty lines are skipped, as `split` does.
        var text = text
        let split = text.withUTF8 { u -> Bool? in
            guard !u.contains(0x0D) else { return nil }
            // Room for every line at once (an alarm has a few; grown, the list was made three times).
            lines.reserveCapacity(u.count(where: { $0 == 0x0A }) + 1)
            var start = 0
            for j in 0...u.count where j == u.count || u[j] == 0x0A {
                defer { start = j + 1 }
                guard j > start else { continue }
                guard let p = Property(contentLineBuffer: UnsafeBufferPointer(rebasing: u[start..<j])) else { return false }
                lines.append(p)
            }
            return true
        }
        if let split {
            guard split else { return nil }
        } else {
            for line in text.split(separator: "\n") {
                guard let p = Property(contentLine: String(line)) else { return nil }
                lines.append(p)
            }
        }
        let alarm = Alarm(contentLines: lines)
        // An alarm without ACTION (invalid, but common) is still an alarm when it has a trigger.
        return alarm.action.text.isEmpty && alarm.trigger == nil ? nil : alarm
    }
}

/// ATTACH <-> attachments.
enum AttachmentMapping {
    static func attachment(_ g: GoogleEvent.EventAttachment) -> Attachment {
        var a = Attachment(uri: g.fileUrl, formatType: g.mimeType)
        if let t = g.title { a.parameters.append(Parameter("FILENAME", t)) }
        if let id = g.fileId { a.parameters.append(Parameter("X-GOOGLE-FILE-ID", id)) }
        if let icon = g.iconLink { a.parameters.append(Parameter("X-GOOGLE-ICON-LINK", icon)) }
        return a
    }
}
