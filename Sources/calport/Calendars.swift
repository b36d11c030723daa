import ArgumentParser
import CalPort
import Foundation
import GoogleAPI
import GoogleCalendar

struct Calendars: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, create and delete the Google calendars of the signed-in account.",
        discussion: """
            `calport calendars` lists the calendars with their ids. The id is what push, pull and \
            archive take as --calendar ("primary" also names the account's own calendar). A \
            migration usually goes into a fresh calendar: `calport calendars create NAME` prints \
            the new calendar's id on standard output.

            Examples:
              calport calendars
              calport calendars --profile work --json | jq -r '.[] | select(.accessRole=="owner") | .id'
              id=$(calport calendars create "Team (migrated)" --time-zone Europe/Berlin)
              calport calendars delete "$id" --yes
            """ + "\n\n" + EnvironmentVariable.helpText(for: "calendars"),
        subcommands: [List.self, Create.self, Delete.self],
        defaultSubcommand: List.self
    )
}

extension Calendars {
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the calendars with their ids (the default).",
        discussion: EnvironmentVariable.helpText(for: "calendars")
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

struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a secondary calendar owned by the account and print its id.",
        discussion: """
            The id (…@group.calendar.google.com) goes to standard output, alone on its line, for \
            scripts; push, pull and archive take it as --calendar.

            Exit codes: 0 created; 64 usage (an empty name, an unknown time zone); 69 Google \
            unavailable; 77 not signed in or no permission.

            Examples:
              calport calendars create "Team (migrated)" --time-zone Europe/Berlin
              id=$(calport calendars create "Old Outlook calendar") && calport push old.ics --calendar "$id"
            """ + "\n\n" + EnvironmentVariable.helpText(for: "calendars")
    )

    @Argument(help: "The new calendar's name (its title in Google Calendar).")
    var name: String

    @Option(name: .customLong("time-zone"), help: "The calendar's IANA time zone (e.g. Europe/Berlin); Google's default when omitted.")
    var timeZone: String?

    @Option(name: .customLong("description"), help: "The calendar's description.")
    var calendarDescription: String?

    @OptionGroup var google: GoogleOptions

    func validate() throws {
        if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the calendar needs a name") }
        if let z = timeZone, !TimeZoneNames.isKnown(z) {
            throw ValidationError("--time-zone \(z) is not an IANA time zone name (e.g. Europe/Berlin)")
        }
    }

    func run() async throws {
        let session = try google.session()
        let created: CalendarResource
        do { created = try await session.api.insertCalendar(summary: name, timeZone: timeZone, description: calendarDescription) } catch {
            throw Exit.report(error)
        }
        guard let id = created.id, !id.isEmpty else {
            StandardError.write("calport: Google answered without the new calendar's id; see `calport calendars`\n")
            throw Exit.failure
        }
        try printOut(id + "\n")
        StandardError.write("calport: created calendar \"\(created.summary ?? name)\"\(created.timeZone.map { " (\($0))" } ?? "")\n")
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete a secondary calendar with all its events.",
        discussion: """
            Asks first on a terminal; --yes deletes without asking (needed when standard input is \
            not a terminal). The primary calendar cannot be deleted.

            Exit codes: 0 deleted; 1 declined at the prompt (nothing deleted); 64 usage (primary, \
            no --yes without a terminal, an id that names no calendar); 69 Google unavailable; 77 \
            not signed in or no permission (a calendar the account does not own).

            Examples:
              calport calendars delete c_0123abcd@group.calendar.google.com
              calport calendars delete "$id" --yes
            """ + "\n\n" + EnvironmentVariable.helpText(for: "calendars")
    )

    @Argument(help: "The id of the calendar to delete (see `calport calendars`).")
    var id: String

    @Flag(help: "Delete without asking.")
    var yes = false

    @OptionGroup var google: GoogleOptions

    func validate() throws {
        if id.isEmpty { throw ValidationError("give the id of the calendar to delete (see `calport calendars`)") }
        if id.lowercased() == "primary" {
            throw ValidationError("the primary calendar cannot be deleted (Google deletes secondary calendars only)")
        }
    }

    func run() async throws {
        let session = try google.session()
        // Read it first: the prompt names what goes, and the account's own address (primary under
        // another name) is refused before anything is sent.
        let entry: CalendarListEntry?
        let calendar: CalendarResource
        do {
            calendar = try await session.api.calendar(id: id)
            entry = try await session.api.allCalendars(showHidden: true).first { $0.id == calendar.id }
        } catch { throw Exit.report(error) }
        if entry?.primary == true {
            StandardError.write("calport: \(id) is the account's primary calendar, which cannot be deleted\n")
            throw Exit.usage
        }
        let title = calendar.summary ?? id
        if !yes {
            guard isatty(0) == 1 else {
                StandardError.write("calport: refusing to delete calendar \"\(title)\" without --yes (standard input is not a terminal); nothing was deleted\n")
                throw Exit.usage
            }
            StandardError.write("calport: delete calendar \"\(title)\" (\(calendar.id ?? id)) and every event in it? [y/N] ")
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                StandardError.write("calport: nothing was deleted\n")
                throw Exit.failure
            }
        }
        do { try await session.api.deleteCalendar(id: calendar.id ?? id) } catch { throw Exit.report(error) }
        StandardError.write("calport: deleted calendar \"\(title)\" (\(calendar.id ?? id))\n")
    }
}
}
