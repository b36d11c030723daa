// swift-tools-version:6.0
import PackageDescription

// Layering (dependencies point one way):
//   calport -> CalPort -> { ICalendar, GoogleAPI, GoogleAuth, StateStore } -> { CalendarModel, HTTP, LoopbackHTTP }
//   GoogleAPI (the Calendar API client) -> GoogleCalendar (Google's resources and the mapping, no HTTP) -> CalendarModel
// ICalendar is the only importer of CLibical, HTTP of CCurl, StateStore of CSQLite and
// CalPort of CZlib; the iCalendar and Google sides never import each other. GoogleAuth (OAuth)
// needs HTTP and, for its redirect listener, LoopbackHTTP. FakeGoogle (the test double of the
// Calendar API and OAuth endpoints, on LoopbackHTTP, GoogleCalendar and Crypto) is used by tests,
// benchmarks and calport-fake-google only.
let package = Package(
    name: "calport",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "calport", targets: ["calport"]),
        .library(name: "CalPort", targets: ["CalPort"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // RS256 signing of service-account JWTs (RSA is in its _CryptoExtras module).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibical",
            pkgConfig: "libical",
            providers: [.apt(["libical-dev"]), .brew(["libical"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // zlib, for the archive's deterministic .ics.gz snapshots.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // The POSIX pieces several modules need, once: a mutex, a thread start, a lock file.
        .target(name: "SystemSupport"),
        .target(name: "CalendarModel", dependencies: ["SystemSupport"]),
        .target(name: "ICalendar", dependencies: ["CLibical", "CalendarModel"]),
        // Google's Event and calendar resources, the mapping to and from the model, fast JSON:
        // no HTTP. Crypto: SHA-256 for the event ids of offline JSON (OfflineEventID).
        .target(name: "GoogleCalendar", dependencies: ["CalendarModel", .product(name: "Crypto", package: "swift-crypto")]),
        // The Calendar API client over HTTP: calls, batches, retries, pacing, errors.
        .target(name: "GoogleAPI", dependencies: ["GoogleCalendar", "CalendarModel", "HTTP"]),
        // OAuth 2.0 for Google: desktop and web clients, tokens, service accounts.
        .target(
            name: "GoogleAuth",
            dependencies: ["HTTP", "LoopbackHTTP", "SystemSupport", .product(name: "_CryptoExtras", package: "swift-crypto"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        // A fake Google Calendar API on 127.0.0.1, for tests and benchmarks (never the real one).
        // Crypto: SHA-256 for PKCE S256 challenges.
        .target(name: "FakeGoogle", dependencies: ["LoopbackHTTP", "GoogleCalendar", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "calport-fake-google", dependencies: ["FakeGoogle"]),
        .target(name: "HTTP", dependencies: ["CCurl", "SystemSupport"]),
        // A small HTTP/1.1 server on loopback sockets: the OAuth redirect listener and the
        // tests' fake Google. Only SystemSupport: what it must do is narrow.
        .target(name: "LoopbackHTTP", dependencies: ["SystemSupport"]),
        // SQLite for the push journal and the archive mirror: a thin wrapper, WAL, flock.
        .target(name: "StateStore", dependencies: ["CSQLite", "SystemSupport"]),
        .target(name: "CalPort", dependencies: ["ICalendar", "GoogleCalendar", "GoogleAPI", "GoogleAuth", "HTTP", "StateStore", "CalendarModel", "CZlib", "SystemSupport",
                                              .product(name: "Crypto", package: "swift-crypto")],
                plugins: ["VersionPlugin"]),
        // calport's version from one place (a release tag, else VERSION): see scripts/version.sh.
        .plugin(name: "VersionPlugin", capability: .buildTool()),
        .executableTarget(
            name: "calport",
            dependencies: ["CalPort", "CalendarModel", "GoogleCalendar", "GoogleAPI", "GoogleAuth", "HTTP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "CalendarModelTests", dependencies: ["CalendarModel"]),
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar"]),
        .testTarget(name: "GoogleCalendarTests", dependencies: ["GoogleCalendar"]),
        .testTarget(name: "GoogleAPITests", dependencies: ["GoogleAPI", "GoogleCalendar", "HTTP"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "LoopbackHTTP"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore"]),
        .testTarget(name: "GoogleAuthTests", dependencies: ["GoogleAuth", "LoopbackHTTP", "HTTP"]),
        .testTarget(name: "FakeGoogleTests", dependencies: ["FakeGoogle", "GoogleCalendar", "GoogleAPI", "HTTP"]),
        .testTarget(
            name: "CalPortTests",
            // CLibical: the hostile-text property test re-reads calport's .ics with libical itself;
            // LoopbackHTTP: the hostile server double; StateStore: archives as older versions left them.
            dependencies: ["CalPort", "calport", "FakeGoogle", "GoogleAPI", "HTTP", "LoopbackHTTP", "CLibical", "StateStore"]
        ),
    ]
)
