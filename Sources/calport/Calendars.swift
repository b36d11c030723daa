import ArgumentParser
import CalPort
import Foundation
import GoogleCalendar

struct Calendars: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the Google calendars of the signed-in account, with their ids.",
        discussion: """
            The id is what push, pull and archive take as --calendar ("primary" also names the \
            account's own calendar).

            Examples:
              calport calendars
              calport calendars --profile work --json | jq -r '.[] | select(.accessRole=="owner") | .id'
            """ + "\n\n" + EnvironmentVariable.helpText(for: "calendars")
    )

    @OptionGroup var google: GoogleOptions

    @Flag(help: "Print the calendar list entries as a JSON array.")
    var json = false

    @Flag(help: "Include calendars hidden from the list in Google Calendar.")
    var hidden = false

    func run() async throws {
        let session = try google.session()
        let calendars: [CalendarListEntry]
        do { calendars = try await session.api.allCalendars(showHidden: hidden ? true : nil) } catch { throw Exit.report(error) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try printOut(String(decoding: try encoder.encode(calendars), as: UTF8.self) + "\n")
            return
        }
        let sorted = calendars.sorted { ($0.primary == true ? 0 : 1, $0.displayName) < ($1.primary == true ? 0 : 1, $1.displayName) }
        let rows = sorted.map { c in
            [c.id ?? "", c.accessRole ?? "", c.timeZone ?? "", c.displayName + (c.primary == true ? " (primary)" : "")]
        }
        let header = ["ID", "ACCESS", "TIME ZONE", "NAME"]
        let widths = (0..<3).map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        var out = ""
        for row in [header] + rows {
            for i in 0..<3 { out += row[i].padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }
            out += row[3] + "\n"
        }
        try printOut(out)
    }
}
