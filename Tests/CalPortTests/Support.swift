import CalendarModel
import HTTP
import Foundation
import Testing

/// Paths and helpers shared by the CalPort tests.
enum Paths {
    static let repository: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let testdata = repository.appendingPathComponent("testdata")
    static let cases = testdata.appendingPathComponent("cases")
    /// ../shared/corpus beside the repository, when present.
    static let corpus = repository.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    static var corpusAvailable: Bool { FileManager.default.fileExists(atPath: corpus.appendingPathComponent("ics").path) }

    /// The built `calport` executable, beside the test bundle.
    static var calport: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("calport")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repository.appendingPathComponent(".build/debug/calport")
    }

    static func temporaryDirectory() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("calport-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }
}

struct RunResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs the calport executable as a user would.
func calport(_ args: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let p = Process()
    p.executableURL = Paths.calport
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["SOURCE_DATE_EPOCH"] = "1735689600"
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    let group = DispatchGroup()
    let outData = DataBox(), errData = DataBox()
    group.enter()
    DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if let stdin { inp.fileHandleForWriting.write(stdin) }
    try inp.fileHandleForWriting.close()
    p.waitUntilExit()
    group.wait()
    return RunResult(status: p.terminationStatus, stdout: outData.data, stderr: String(decoding: errData.data, as: UTF8.self))
}

final class DataBox: @unchecked Sendable { var data = Data() }

/// Parses JSON into Foundation objects for structural comparison.
func jsonObject(_ data: Data) throws -> NSObject {
    try JSONSerialization.jsonObject(with: data) as! NSObject
}

/// A browser stand-in for the OAuth consent page: requests the address with the project's own
/// HTTP client and follows redirects (the consent page answers 302 to calport's loopback
/// listener), returning the last page's text.
enum Browser {
    static func open(_ address: String, maxRedirects: Int = 5) async throws -> String {
        let http = try CurlHTTPClient()
        var url = address
        for _ in 0...maxRedirects {
            let response = try await http.send(HTTPRequest(url: url, timeout: .seconds(20)))
            guard (300..<400).contains(response.status), let location = response.header("location") else {
                return String(decoding: response.body, as: UTF8.self)
            }
            url = location.hasPrefix("/") ? origin(of: url) + location : location
        }
        throw BrowserError.tooManyRedirects(address)
    }

    /// "http://host:port" of an absolute URL.
    static func origin(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return String(url[..<(rest.firstIndex(of: "/") ?? url.endIndex)])
    }

    enum BrowserError: Error { case tooManyRedirects(String) }
}

/// `gzip -dc FILE` (Debian-required, so present on every machine the tests run on): an
/// independent reader of the archive's .ics.gz files. Nil when gzip failed.
func gunzip(_ path: String) throws -> Data? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["gzip", "-dc", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let plain = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? plain : nil
}
