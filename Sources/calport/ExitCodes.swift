import ArgumentParser
import CalPort

/// calport's exit codes (sysexits where one fits), documented in README.md. The networked
/// commands share `Outcome`'s table.
enum Exit {
    static let success = ExitCode(Outcome.success.rawValue)
    static let failure = ExitCode(Outcome.failure.rawValue)
    static let partial = ExitCode(Outcome.partial.rawValue)
    static let refused = ExitCode(Outcome.refused.rawValue)
    static let usage = ExitCode(Outcome.usage.rawValue)
    static let dataError = ExitCode(Outcome.dataError.rawValue)
    static let unavailable = ExitCode(Outcome.unavailable.rawValue)
    static let locked = ExitCode(Outcome.locked.rawValue)
    static let authentication = ExitCode(Outcome.authentication.rawValue)

    static func code(_ outcome: Outcome) -> ExitCode { ExitCode(outcome.rawValue) }

    /// Prints a failure (message and advice) on standard error and returns its exit code.
    static func report(_ error: any Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        let failure = Failure(error)
        StandardError.write("calport: \(failure)\n")
        return code(failure.outcome)
    }
}

/// Output paths are checked before any work: a pull that downloads everything, or a push whose
/// report comes at its end, must not fail only then. A path that cannot be written is a usage
/// error (64), named with its option.
func checkOutputPaths(_ paths: [(option: String, path: String?)]) throws {
    for (option, path) in paths {
        do { try Output.check(path: path) } catch { throw ValidationError("\(option) \(error)") }
    }
}

/// Prints to standard output; a write that fails is reported and exits 1.
func printOut(_ s: String) throws {
    do { try StandardOutput.write(s) } catch {
        StandardError.write("calport: \(error)\n")
        throw Exit.failure
    }
}

/// An input argument as a local path: a URL (http, https, webcal) is fetched first (see
/// `RemoteInput`), and `name` then is the URL for messages. Keep the value alive while the
/// path is read: the temporary copy goes with it.
struct InputArgument {
    let path: String
    let name: String?
    let download: RemoteInput?

    static func resolve(_ argument: String) async throws -> InputArgument {
        guard RemoteInput.isURL(argument) else { return InputArgument(path: argument, name: nil, download: nil) }
        do {
            let d = try await RemoteInput.fetch(argument)
            return InputArgument(path: d.path, name: d.name, download: d)
        } catch {
            throw Exit.report(error)
        }
    }
}
