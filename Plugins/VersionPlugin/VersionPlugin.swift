import Foundation
import PackagePlugin

/// Gives a target `PackageVersion.value`, calport's version from one place: scripts/version.sh
/// (the release tag when the checkout has one, else the VERSION file). A prebuild command, so
/// that a new tag reaches the next build without a clean; the script rewrites its output only
/// when the version changed, so an unchanged version recompiles nothing.
@main
struct VersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "scripts/version.sh")
        return [
            .prebuildCommand(
                displayName: "calport version (scripts/version.sh)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, "--swift", output.appending(path: "PackageVersion.swift").path],
                outputFilesDirectory: output
            )
        ]
    }
}
