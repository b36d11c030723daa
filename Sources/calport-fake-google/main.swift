// calport-fake-google: the tests' fake Google Calendar API as a process on 127.0.0.1, for
// `make bench` and for trying calport without a Google account. Never the real Google.
//
//   calport-fake-google [--port N] [--latency-ms N] [--fault-rate F] [--drop-rate F] [--seed N]
//                       [--quota CALLS] [--quota-window-s S] [--quota-answer 403|429] [--stats FILE]
//
// --quota is Google's per-user quota: CALLS calls (batch parts count one each) in any sliding
// window of --quota-window-s seconds (60, as Google's); beyond it a call is answered 403
// userRateLimitExceeded (or 429 with --quota-answer 429). Google's default is 600.
// --drop-rate adds connections dropped without an answer, half before the call is applied and
// half after (a lost answer), on top of those --fault-rate spreads.
//
// Prints `CALPORT_GOOGLE_API_ROOT=<url>` on its first line of standard output, then serves until
// SIGINT or SIGTERM, when it writes its request statistics as JSON to --stats (if given).
import FakeGoogle
import Foundation

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("calport-fake-google: \(message)\nusage: calport-fake-google [--port N] [--latency-ms N] [--fault-rate F] [--drop-rate F] [--seed N] [--quota CALLS] [--quota-window-s S] [--quota-answer 403|429] [--stats FILE]\n".utf8))
    exit(64)
}

var options = FakeGoogleServer.Options()
var faults = FakeGoogleServer.Faults()
var statsPath: String?
var quota: FakeGoogleServer.RateLimit?
var quotaWindow: Duration = .seconds(60)
var quotaAnswer = FakeGoogleServer.RateLimit.Answer.userRateLimitExceeded
var drops = 0.0
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
    case "--drop-rate":
        guard let rate = Double(value), (0...1).contains(rate) else { usage("--drop-rate \(value) is not between 0 and 1") }
        drops = rate
    case "--quota":
        guard let calls = Int(value), calls >= 0 else { usage("--quota \(value) is not a number of calls") }
        quota = .init(calls: calls, per: .seconds(60))
    case "--quota-window-s":
        guard let seconds = Double(value), seconds > 0 else { usage("--quota-window-s \(value) is not a number of seconds") }
        quotaWindow = .milliseconds(Int64(seconds * 1000))
    case "--quota-answer":
        switch value {
        case "403": quotaAnswer = .userRateLimitExceeded
        case "429": quotaAnswer = .tooManyRequests
        default: usage("--quota-answer \(value) is not 403 or 429")
        }
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
faults.dropConnection += drops / 2
faults.dropAfterApplying += drops / 2
server.faults = faults
if var q = quota {
    q.per = quotaWindow
    q.answer = quotaAnswer
    server.rateLimit = q
}
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
