/// Checks an RRULE or EXRULE before it may reach Google: repairs what has one meaning, and
/// names the rule part of anything else. libical's own parser decides what is valid
/// iCalendar; the checks after it are the limits of Google's recurrence (Gregorian rules,
/// years Google's RFC 3339 fields can hold).
enum RuleValidation {
    struct Outcome: Equatable {
        /// The rule to use (repaired when `repairs` is not empty); empty when there is none.
        var rule: String
        /// What was repaired, for a warning each.
        var repairs: [String] = []
        /// Why the rule cannot be used, naming the rule part; nil when it can.
        var problem: String?
    }

    static func check(_ text: String) -> Outcome {
        var out = Outcome(rule: text)
        // `BYDAY=MO, TU` (Outlook add-ins, hand-written feeds): RFC 5545 allows no white space
        // in a RECUR value, and taking it out leaves the one rule the writer meant.
        let squeezed = String(text.unicodeScalars.filter { $0 != " " && $0 != "\t" })
        if squeezed != text {
            out.rule = squeezed
            out.repairs.append("white space in \"\(text)\" removed (RFC 5545 allows none in a rule)")
        }
        let rule = out.rule
        if rule.isEmpty {
            // An empty value names no recurrence, so the event is the single one it describes.
            // calendarlabs.com's holiday exports write `RRULE:` on every single event.
            out.repairs.append("the rule is empty, which adds no occurrences; dropped")
            return out
        }
        let parts = rule.split(separator: ";", omittingEmptySubsequences: true).map(String.init)
        func part(_ name: String) -> String? { parts.first { $0.uppercased().hasPrefix(name + "=") } }
        let parsed = LibicalRule(parsing: rule)
        if !parsed.isValid {
            out.problem = culprit(parts, part) + " (libical: \(parsed.error ?? "no FREQ"))"
            return out
        }
        if let r = part("RSCALE") ?? parsed.rscale.map({ "RSCALE=" + $0 }) {
            out.problem = "\(r): RFC 7529 calendar scales are not part of Google's recurrence"
            return out
        }
        if let bad = parsed.months.first(where: { !(1...12).contains($0) }) {
            out.problem = "\(part("BYMONTH") ?? "BYMONTH"): month \(bad) does not exist (1 to 12)"
            return out
        }
        if let y = parsed.untilYear, !(1...9999).contains(y) {
            out.problem = "\(part("UNTIL") ?? "UNTIL"): year \(y) is outside 0001 to 9999, which Google's times can hold"
            return out
        }
        return out
    }

    /// The part libical refused: each part is tried alone after a FREQ libical accepts, so the
    /// diagnostic can name it. Rules libical refuses as a whole name the combination.
    private static func culprit(_ parts: [String], _ part: (String) -> String?) -> String {
        guard let freq = part("FREQ") else { return "FREQ is missing" }
        if !LibicalRule(parsing: freq).isValid { return "\(freq) is not a frequency" }
        if let u = part("UNTIL"), let c = part("COUNT") {
            return "\(u) and \(c): RFC 5545 allows UNTIL or COUNT, not both"
        }
        for p in parts where !p.uppercased().hasPrefix("FREQ=") {
            if !LibicalRule(parsing: freq + ";" + p).isValid { return "\(p) is invalid" }
        }
        return "the rule is invalid"
    }
}
