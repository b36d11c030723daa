import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// `calport sync` and `calport sync reset` as a library call: opens the pair's state, the local
/// store (a folder of .ics files, or one .ics file) and the Google store, and runs the engine.
public enum Sync {
    /// A local calendar: a folder (one file per UID) unless the path is an existing file or
    /// ends in `.ics`.
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return isDirectory.boolValue }
        return !path.lowercased().hasSuffix(".ics")
    }

    /// The local calendar's identity: the folder's device and inode; for a file, its folder's
    /// and its name (calport replaces the file itself on every write, so its own inode changes).
    /// A folder moved away and another put in its place is another calendar.
    static func identity(of path: String) throws -> String {
        let folder = isFolder(path)
        let target = folder ? path : ((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        var st = stat()
        guard stat(target, &st) == 0 else {
            throw Failure(message: "\(target): \(String(cString: strerror(errno)))",
                          advice: folder ? "create the folder first (an empty folder is an empty calendar)" : nil, outcome: .usage)
        }
        return "\(st.st_dev):\(st.st_ino)" + (folder ? "" : "/" + (path as NSString).lastPathComponent)
    }

    /// The absolute path the state is keyed by.
    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (p as NSString).standardizingPath
    }

    public struct Settings: Sendable {
        public var localPath: String
        public var options: SyncOptions
        public var sendUpdates: SendUpdates = .none
        public var stateDirectory: String
        /// Google writes a batch at a time.
        public var batchSize = 50

        public init(localPath: String, options: SyncOptions, stateDirectory: String) {
            self.localPath = localPath
            self.options = options
            self.stateDirectory = stateDirectory
        }
    }

    public static func run(_ settings: Settings, api: GoogleCalendarAPI, progress: ProgressReporter? = nil) async throws -> SyncReport {
        let before = api.stats.requests
        let started = Date()
        var report = try await withEngine(settings, api: api, progress: progress) { try await $0.run() }
        report.requests = api.stats.requests - before
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    public static func reset(_ reset: SyncReset, _ settings: Settings, api: GoogleCalendarAPI,
                             progress: ProgressReporter? = nil) async throws -> SyncResetReport {
        try await withEngine(settings, api: api, progress: progress) { try await $0.reset(reset, batch: settings.batchSize) }
    }

    /// The engine over the right local store.
    static func withEngine<T: Sendable>(_ settings: Settings, api: GoogleCalendarAPI, progress: ProgressReporter?,
                                        _ body: (any SyncEngineRunning) async throws -> T) async throws -> T {
        let path = absolute(settings.localPath)
        let identity = try identity(of: path)
        let state = try SyncState(directory: settings.stateDirectory + "/sync", localPath: path,
                                  calendarId: settings.options.calendarId, account: settings.options.account)
        var googleOptions = GoogleCalendarStore.Options()
        googleOptions.sendUpdates = settings.sendUpdates
        // Import never emails anyone; a sync that is to email guests creates with insert.
        googleOptions.createMethod = settings.sendUpdates == .none ? .import : .insert
        googleOptions.includeDeleted = true
        googleOptions.batchSize = settings.batchSize
        let remote = GoogleCalendarStore(api: api, calendarId: settings.options.calendarId, options: googleOptions)
        if isFolder(path) {
            let engine = SyncEngine(local: ICSFolderStore(path: path), remote: remote, state: state, options: settings.options,
                                    localIdentity: identity, progress: progress)
            return try await body(engine)
        } else {
            let engine = SyncEngine(local: ICSFileStore(path: path), remote: remote, state: state, options: settings.options,
                                    localIdentity: identity, progress: progress)
            return try await body(engine)
        }
    }
}

/// What `Sync` asks of an engine, whatever its local store.
protocol SyncEngineRunning: Sendable {
    func run() async throws -> SyncReport
    func reset(_ reset: SyncReset, batch: Int) async throws -> SyncResetReport
}

extension SyncEngine: SyncEngineRunning {}
