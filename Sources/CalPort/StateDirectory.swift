import Foundation

/// Where calport keeps state between runs: `$CALPORT_STATE_DIR`, else
/// `$XDG_STATE_HOME/calport`, else `~/.local/state/calport`.
public enum StateDirectory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let d = environment["CALPORT_STATE_DIR"], !d.isEmpty { return d }
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty { return x + "/calport" }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw Failure(message: "no state directory: set CALPORT_STATE_DIR or HOME", outcome: .failure)
        }
        return home + "/.local/state/calport"
    }
}
