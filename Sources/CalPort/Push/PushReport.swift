import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// The `--report` JSON of a push: the summary and one record per event.
public struct PushReport: Codable, Sendable {
    public struct Summary: Codable, Sendable {
        public var planned: [String: Int]
        public var created: Int
        public var updated: Int
        public var revived: Int
        public var unchanged: Int
        public var skipped: Int
        public var rejected: Int
        public var failed: Int
        public var notSent: Int
        public var notificationsRequested: Int
        public var notificationsPlannedByDomain: [String: Int]
        public var existingEventsListed: Int
    }
    public struct Item: Codable, Sendable {
        public var uid: String
        public var recurrenceId: String?
        public var action: String
        public var state: String
        public var googleId: String?
        public var reason: String?
        public var changes: [String]?
        public var error: String?
        public var recipients: Int?
        public var line: Int?
    }
    public var calendar: String
    public var input: String
    public var mode: String
    public var sendUpdates: String
    public var onExisting: String
    public var dryRun: Bool
    public var exitCode: Int32
    public var aborted: String?
    public var requests: Int
    public var retries: Int
    public var seconds: Double
    public var summary: Summary
    public var items: [Item]
    /// `--prune`: what was (or, for a dry run or a refusal, would be) deleted.
    public var prune: PruneReport?

    public init(_ r: PushResult, input: PushInput, options: PushOptions) {
        calendar = options.calendarId
        self.input = input.name
        mode = options.mode.rawValue
        sendUpdates = options.sendUpdates.rawValue
        onExisting = options.onExisting.rawValue
        dryRun = options.dryRun
        exitCode = r.outcome.rawValue
        aborted = r.aborted?.description
        requests = r.statistics.requests
        retries = r.statistics.retries
        seconds = (r.seconds * 1000).rounded() / 1000
        var planned: [String: Int] = [:]
        for a in PushAction.allCases { planned[a.rawValue] = r.plan.count(a) }
        summary = Summary(planned: planned, created: r.created, updated: r.updated, revived: r.revived, unchanged: r.unchanged,
                          skipped: r.skipped, rejected: r.rejected, failed: r.failed, notSent: r.notSent,
                          notificationsRequested: r.notificationsRequested, notificationsPlannedByDomain: r.plan.notificationsByDomain,
                          existingEventsListed: r.existingEvents)
        items = zip(r.plan.entries, r.outcomes).map { e, o in
            Item(uid: e.key.uid, recurrenceId: e.key.instance, action: e.action.rawValue, state: o.state.rawValue,
                 googleId: o.googleId ?? e.eventId, reason: e.reason, changes: e.changes.isEmpty ? nil : e.changes, error: o.error,
                 recipients: e.recipients.isEmpty ? nil : e.recipients.count, line: e.line ?? e.item.flatMap { input.items[$0].line })
        }
    }

    public func write(to path: String) throws {
        let out = try Output(path: path)
        let data = try JSONCodec.prettyEncoder().encode(self)
        try out.write(String(decoding: data, as: UTF8.self) + "\n")
        try out.commit()
    }
}

extension PushResult {
    /// The one-paragraph summary printed at the end.
    public func summaryText(calendar: String) -> String {
        var lines: [String] = []
        if dryRun {
            lines.append("dry run, nothing sent to calendar \(calendar): \(plan.count(.create)) to create, \(plan.count(.update)) to update"
                + "\(plan.entries.contains { $0.revive } ? " (\(plan.entries.filter { $0.revive && $0.action == .update }.count) deleted in Google, to revive)" : ""), "
                + "\(unchanged) unchanged, \(skipped) to skip, \(rejected) rejected (\(existingEvents) events listed in Google)")
        } else {
            lines.append("pushed to calendar \(calendar): \(created) created, \(updated) updated\(revived > 0 ? " (\(revived) revived)" : ""), "
                + "\(unchanged) unchanged, \(skipped) skipped, \(failed) failed, \(rejected) rejected\(notSent > 0 ? ", \(notSent) not confirmed" : "")")
            lines.append("notifications requested: \(notificationsRequested); \(statistics.requests) HTTP requests (\(statistics.retries) retries) in \(String(format: "%.1f", seconds))s")
        }
        return lines.joined(separator: "\n")
    }

    /// "N messages to M addresses: example.com 12, example.org 3" for the plan; with
    /// `upperBound` (--send-updates external, where Google picks the recipients) "up to N".
    public func notificationText(upperBound: Bool) -> String {
        let byDomain = plan.notificationsByDomain.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        let list = byDomain.prefix(20).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let more = byDomain.count > 20 ? ", and \(byDomain.count - 20) more domains" : ""
        guard plan.notificationCount > 0 else {
            return "no email would be sent: no event to create or change has guests to notify"
        }
        if upperBound {
            return "up to \(plan.notificationCount) emails to \(plan.distinctRecipients) addresses may be sent by Google "
                + "(externalOnly: Google mails the guests who do not use Google Calendar): \(list)\(more)"
        }
        return "\(plan.notificationCount) emails to \(plan.distinctRecipients) addresses would be sent by Google: \(list)\(more)"
    }

    /// Writes the events that failed or were rejected to an .ics, each with an
    /// X-CALPORT-PUSH-ERROR property giving the reason (ignored when the file is pushed again).
    /// A series goes whole when any of its parts failed, so that the file can be pushed as it is.
    /// Returns the number of events written.
    @discardableResult
    public func writeRejects(to path: String, input: PushInput) throws -> Int {
        var reasons: [Int: String] = [:]
        var uids: Set<String> = []
        for (e, o) in zip(plan.entries, outcomes) {
            guard let item = e.item else { continue }
            let reason: String? = e.action == .reject ? e.reason : (o.state == .failed ? o.error : (o.state == .notSent ? "not confirmed: the push stopped before Google answered for it (a run of the same command checks and finishes it)" : nil))
            if let reason {
                reasons[item] = reason
                uids.insert(e.key.uid)
            }
        }
        let standalone = input.rejects
        let out = try Output(path: path)
        let sink = DiagnosticCollector()
        let now = LocalDateTime(secondsSinceEpoch: Int(Date().timeIntervalSince1970))
        let writer = ICalendarWriter(fallbackTimestamp: now, diagnostics: sink) { try out.write($0) }
        var info = input.info
        info.properties.removeAll { $0.name == "X-WR-RELCALID" }
        for z in input.timeZones { writer.addDefinition(z) }
        try writer.begin(info)
        var count = 0
        for item in input.items where uids.contains(item.key.uid) {
            var e = item.event
            if let reason = reasons[item.index] {
                e.properties.append(Property(name: PushInput.reasonProperty, value: ICalText.escape(reason)))
            }
            try writer.write(e)
            count += 1
        }
        for (event, _, reason) in standalone {
            var e = event
            e.properties.append(Property(name: PushInput.reasonProperty, value: ICalText.escape(reason)))
            try writer.write(e)
            count += 1
        }
        try writer.end()
        try out.commit()
        return count
    }
}
