import ArgumentParser

/// calport's exit codes (sysexits where one fits), documented in README.md.
enum Exit {
    static let success = ExitCode(0)
    static let failure = ExitCode(1)
    static let usage = ExitCode(64)
    static let dataError = ExitCode(65)
}
