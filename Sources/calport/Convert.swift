import ArgumentParser
import CalPort
import GoogleCalendar

extension Format: ExpressibleByArgument {}

struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert between iCalendar and Google Calendar JSON, offline.",
        discussion: """
            Formats: ics (an iCalendar VCALENDAR), json (a Google calendar#events object with \
            summary, timeZone and items), ndjson (one Google Event resource per line). The \
            input format is detected from the content when --from is not given. The input may \
            be a URL (http, https, or webcal, read as https), fetched with the limits of an API \
            answer (256 MiB, 60 s, redirects not followed).

            Examples:
              calport convert work.ics                      # Google JSON on stdout
              cat work.ics | calport convert --to ndjson | jq -c .summary
              calport convert events.json --to ics -o work.ics
              calport convert https://example.com/team.ics -o team.json

            Exit codes: 0 converted; 1 the input or output could not be opened or written; 64 usage \
            (an option, an output path that cannot be written); 65 bad input data: some events \
            could not be converted (the rest were written), the input is not a calendar (an \
            existing output file is left as it was), or --strict and a diagnostic; 69 an input \
            URL unreachable or its server failing (5xx), run again later.
            """ + "\n\n" + EnvironmentVariable.helpText(for: "convert")
    )

    @Argument(help: "The input file, an http(s) or webcal URL, or - for standard input.")
    var input: String = "-"

    @Option(help: "The input format (ics, json, ndjson); detected when omitted.")
    var from: Format?

    @Option(help: "The output format (ics, json, ndjson).")
    var to: Format = .json

    @Option(name: .shortAndLong, help: "Write here (atomically) instead of standard output.")
    var output: String?

    @Option(name: .customLong("default-tz"), help: "IANA zone for floating times when the calendar names none (X-WR-TIMEZONE), and for TZIDs nothing resolves.")
    var defaultTimeZone: String?

    @Flag(help: "Treat every diagnostic as a failure: exit 65 and write no output.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Print a summary on standard error when done.")
    var verbose = false

    func validate() throws {
        try checkOutputPaths([("-o", output)])
        if let z = defaultTimeZone, !TimeZoneNames.isKnown(z) {
            throw ValidationError("--default-tz \(z) is not an IANA time zone name (e.g. Europe/Berlin)")
        }
    }

    func run() async throws {
        let printer = DiagnosticPrinter()
        defer { printer.finish() }
        let options = ConvertOptions(from: from, to: to, mapping: MappingOptions(defaultTimeZone: defaultTimeZone), strict: strict)
        let out: Output
        do { out = try Output(path: output) } catch {
            StandardError.write("calport: \(error)\n")
            throw Exit.failure
        }
        do {
            let source = try await InputArgument.resolve(input)
            let summary = try withExtendedLifetime(source) {
                try Converter(options: options).run(input: source.path, inputName: source.name, output: out, diagnostics: printer)
            }
            if verbose {
                StandardError.write("calport: \(summary.events) events converted from \(summary.from) to \(summary.to); \(summary.warnings) warnings, \(summary.errors) errors\n")
            }
            if summary.errors > 0 { throw Exit.dataError }
        } catch let e as ConvertError {
            printer.finish()
            StandardError.write("calport: \(e)\n")
            switch e {
            case .badInput, .strict: throw Exit.dataError
            case .failed: throw Exit.failure
            }
        }
    }
}
