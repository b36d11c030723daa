// calport-fake-google: the tests' fake Google Calendar API as a process on 127.0.0.1, for
// `make bench` and for trying calport without a Google account. Never the real Google.
//
//   calport-fake-google [--port N] [--latency-ms N] [--fault-rate F] [--seed N] [--stats FILE]
//
// Prints `CALPORT_GOOGLE_API_ROOT=<url>` on its first line of standard output, then serves until
// SIGINT or SIGTERM, when it writes its request statistics as JSON to --stats (if given).
import FakeGoogle
import Foundation

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("calport-fake-google: \(message)\nusage: calport-fake-google [--port N] [--latency-ms N] [--fault-rate F] [--seed N] [--stats FILE]\n".utf8))
    exit(64)
}

var options = FakeGoogleServer.Options()
var faults = FakeGoogleServer.Faults()
var statsPath: String?
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
    switch flag {
    case "--port":
        guard let port = UInt16(value) else { usage("--port \(value) is not a port number") }
        options.port = port
    case "--latency-ms":
        guard let ms = Int(value), ms >= 0 else { usage("--latency-ms \(value) is not a number of milliseconds") }
        faults.latency = .milliseconds(ms)
    case "--fault-rate":
        // Spread over the faults a bulk job meets: rate limits, 5xx and dropped connections.
        guard let rate = Double(value), (0...1).contains(rate) else { usage("--fault-rate \(value) is not between 0 and 1") }
        faults.rateLimitExceeded = rate / 4
        faults.backendError = rate / 4
        faults.internalError = rate / 8
        faults.dropConnection = rate / 4
        faults.dropAfterApplying = rate / 8
    case "--seed":
        guard let seed = UInt64(value) else { usage("--seed \(value) is not a number") }
        faults.seed = seed
    case "--stats": statsPath = value
    default: usage("unknown option \(flag)")
    }
}

let server: FakeGoogleServer
do { server = try FakeGoogleServer(options: options) } catch { usage("cannot start: \(error)") }
let statsFile = statsPath
server.faults = faults
FileHandle.standardOutput.write(Data("CALPORT_GOOGLE_API_ROOT=\(server.baseURL)\n".utf8))

func writeStatistics(_ server: FakeGoogleServer, to statsPath: String?) {
    guard let statsPath else { return }
    let s = server.statistics
    let object: [String: Any] = [
        "requests": s.requests, "calls": s.calls, "bytesSent": s.bytesSent, "bytesReceived": s.bytesReceived,
        "faults": s.faults,
    ]
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]) {
        try? data.write(to: URL(fileURLWithPath: statsPath), options: .atomic)
    }
}

signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
var sources: [DispatchSourceSignal] = []
for sig in [SIGINT, SIGTERM] {
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
    source.setEventHandler {
        writeStatistics(server, to: statsFile)
        server.stop()
        exit(0)
    }
    source.resume()
    sources.append(source)
}
dispatchMain()
