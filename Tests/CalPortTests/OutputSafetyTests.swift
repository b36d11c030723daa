import Foundation
import Testing

/// `-o`, `--report` and `--rejects` write what they name without destroying it: a device or a
/// pipe stays what it is, a link stays a link, a failed run leaves the old file, and a path that
/// cannot be written is refused before any work.
@Suite(.serialized) struct OutputSafetyTests {
    let dir: URL
    let sample = Paths.testdata.appendingPathComponent("sample.ics").path

    init() throws { dir = try Paths.temporaryDirectory() }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test(.enabled(if: getuid() == 0, "mknod needs root; the FIFO test covers the rest"))
    func aCharacterDeviceStaysADevice() throws {
        let device = path("null")
        let null = dev_t((1 << 8) | 3)  // major 1, minor 3: what /dev/null is
        #expect(mknod(device, S_IFCHR | 0o666, null) == 0, "mknod: \(errno)")
        for args in [["convert", sample, "-o", device], ["convert", sample, "--to", "ics", "-o", device]] {
            let r = try calport(args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(fileType(device) == S_IFCHR, "\(args): the device node was replaced")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["null"], "no temporary file left")
    }

    @Test func aNamedPipeIsWrittenThrough() throws {
        let fifo = path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        // Held open for reading and writing, the pipe never blocks calport's open, and the test
        // never waits on a writer that does not come (as when the pipe was renamed over).
        let fd = open(fifo, O_RDWR | O_NONBLOCK)
        defer { close(fd) }
        let r = try calport(["convert", sample, "--to", "ndjson", "-o", fifo])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(fileType(fifo) == S_IFIFO, "the pipe was replaced")
        var received = [UInt8](), buffer = [UInt8](repeating: 0, count: 65_536)
        while case let n = read(fd, &buffer, buffer.count), n > 0 { received += buffer[0..<n] }
        let direct = try calport(["convert", sample, "--to", "ndjson"])
        #expect(Data(received) == direct.stdout && !direct.stdout.isEmpty)
    }

    @Test func aLinkToStandardOutputWritesToStandardOutput() throws {
        let link = path("out")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self/fd/1")
        let r = try calport(["convert", sample, "--to", "ndjson", "-o", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(fileType(link) == S_IFLNK)
        #expect(r.stdout == (try calport(["convert", sample, "--to", "ndjson", "-o", "-"])).stdout)
    }

    @Test func aLinkToAFileKeepsTheLinkAndReplacesTheFile() throws {
        let real = path("real.json"), link = path("link.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: real))
        chmod(real, 0o640)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let r = try calport(["convert", sample, "-o", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(fileType(link) == S_IFLNK)
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("calendar#events"))
        let mode = (try FileManager.default.attributesOfItem(atPath: real)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o640, "the file keeps its mode")
    }

    @Test func aFailedConversionLeavesTheOldOutput() throws {
        let keep = path("keep.json")
        let good = Data("{\"kind\":\"calendar#events\",\"items\":[]}\n".utf8)
        let empty = path("empty.ics"), binary = path("binary.ics"), noUID = path("questionable.ics")
        try Data().write(to: URL(fileURLWithPath: empty))
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: binary))
        try Data("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".utf8).write(to: URL(fileURLWithPath: noUID))
        for args in [["convert", empty, "-o", keep], ["convert", binary, "-o", keep], ["convert", noUID, "--strict", "-o", keep]] {
            try good.write(to: URL(fileURLWithPath: keep))
            let r = try calport(args)
            #expect(r.status == 65, "\(args): \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: keep)) == good, "\(args) replaced the existing output")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            == ["binary.ics", "empty.ics", "keep.json", "questionable.ics"], "no temporary file left")
    }

    @Test func unwritablePathsAreRefusedBeforeAnyWork() throws {
        let existingDir = path("adir")
        try FileManager.default.createDirectory(atPath: existingDir, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["convert", sample, "-o", existingDir], "is a directory"),
            (["convert", sample, "-o", existingDir + "/"], "is a directory"),
            (["convert", sample, "-o", path("missing/x.json")], "does not exist"),
            (["convert", sample, "-o", dir.path + "/missing/"], "does not exist"),
        ]
        for (args, says) in cases {
            let r = try calport(args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(says), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func pullAndPushRefuseABadPathBeforeAskingGoogle() throws {
        let h = try PushHarness()
        let bad = path("nodir/x")
        let runs = [
            try calport(["pull", "--calendar", h.calendarId, "-o", bad], environment: h.environment),
            try calport(["pull", "--calendar", h.calendarId, "--report", bad], environment: h.environment),
            try h.push(sample, ["--report", bad]),
            try h.push(sample, ["--rejects", bad]),
            try calport(["archive", "--calendar", h.calendarId, "--dir", path("archive"), "--report", bad], environment: h.environment),
        ]
        for r in runs {
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr.contains("does not exist"), "\(r.stderr)")
        }
        #expect(h.fake.requestCount == 0, "Google was asked before the path was checked")
    }
}

/// A command whose standard output cannot be written (a full disk, a closed descriptor) says
/// so and exits 1: it neither crashes nor reports success with its output lost.
@Suite struct StandardOutputFailureTests {
    /// Runs calport with standard output on /dev/full (every write fails with ENOSPC) or closed.
    func run(_ args: [String], stdout: String, environment: [String: String] = [:]) throws -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", stdout == "closed" ? "exec \"$0\" \"$@\" >&-" : "exec \"$0\" \"$@\" >/dev/full", Paths.calport.path] + args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason, text)
    }

    @Test(arguments: ["full", "closed"])
    func everyCommandReportsAFailedWrite(_ stdout: String) throws {
        let sample = Paths.testdata.appendingPathComponent("sample.ics").path
        let h = try PushHarness()
        let cases: [([String], [String: String])] = [
            (["verify", sample, sample], [:]),
            (["verify", sample, sample, "--json"], [:]),
            (["convert", sample], [:]),
            (["convert", sample, "--to", "ics", "-o", "-"], [:]),
            (["calendars"], h.environment),
            (["calendars", "--json"], h.environment),
            (["pull", "--calendar", h.calendarId, "-o", "-"], h.environment),
        ]
        for (args, env) in cases {
            let r = try run(args, stdout: stdout, environment: env)
            #expect(r.reason == .exit, "\(args) \(stdout): killed by signal \(r.status)")
            #expect(r.status != 0, "\(args) \(stdout): exit 0 with its output lost")
            #expect(r.stderr.contains("standard output") || r.stderr.contains("<stdout>"), "\(args) \(stdout): \(r.stderr)")
        }
    }
}
