// swift-tools-version:6.1
import PackageDescription

// Troupe has no package dependencies: only the Swift toolchain and system C libraries.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Troupe",
    products: [
        .library(name: "Troupe", targets: ["Troupe"]),
        .library(name: "TroupeTesting", targets: ["TroupeTesting"]),
        .library(name: "TroupeBackend", targets: ["TroupeBackend"]),
        .library(name: "TroupeServer", targets: ["TroupeServer"]),
        .executable(name: "troupe", targets: ["troupe"]),
    ],
    targets: [
        .target(name: "Troupe", swiftSettings: strict),
        .target(name: "TroupeTesting", dependencies: ["Troupe"], swiftSettings: strict),
        .testTarget(name: "TroupeTests", dependencies: ["Troupe", "TroupeTesting"], swiftSettings: strict),
        // A program that embeds the runtime in a small service (`make run` until the server exists).
        .executableTarget(name: "EmbeddedShop", dependencies: ["Troupe"], path: "Examples/EmbeddedShop", swiftSettings: strict),
        // The backend embedded and driven through its typed API (what the front does, without sockets).
        .executableTarget(
            name: "ChatInProcess", dependencies: ["TroupeBackend", "TroupeStore", "Troupe"], path: "Examples/ChatInProcess", swiftSettings: strict
        ),
        // Release-mode benchmarks with peers measured in the same run (`make bench`).
        .executableTarget(name: "TroupeBenchmarks", dependencies: ["Troupe", "TroupeStore", "TroupeBackend", "TroupeServer", "CBenchSupport"], swiftSettings: strict),
        // glibc's heap statistics for the memory benchmark (malloc.h is not in Swift's Glibc module).
        .target(name: "CBenchSupport"),
        // Storage: C shims over the system's sqlite3 and libpq (no pkgConfig: a fresh machine may
        // lack pkg-config, and the shim headers find Debian's include paths themselves).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        .target(name: "TroupeStore", dependencies: ["Troupe", "CSQLite", "CLibPQ"], swiftSettings: strict),
        .testTarget(name: "TroupeStoreTests", dependencies: ["TroupeStore", "TroupeTesting", "TroupeTestSupport"], swiftSettings: strict),
        // What several test targets share: the throwaway PostgreSQL server and child processes.
        .target(name: "TroupeTestSupport", dependencies: ["Troupe", "TroupeStore"], path: "Tests/TestSupport", swiftSettings: strict),
        // The backend: the domain of PROTOCOL.md behind a typed API. C shims for libcrypt
        // (yescrypt password hashes) and libcrypto (SHA-256 of tokens).
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto"),
        .target(name: "TroupeBackend", dependencies: ["Troupe", "TroupeStore", "CCrypt", "CLibCrypto"], swiftSettings: strict),
        // The wire codec: inline and RESP multibulk requests in, RESP2/RESP3 out. No I/O, no domain.
        .target(name: "TroupeWire", swiftSettings: strict),
        .testTarget(name: "TroupeWireTests", dependencies: ["TroupeWire", "Troupe"], swiftSettings: strict),
        // The `troupe` command line: the flag table, values, `--help`, the log format. No I/O but
        // reading a tree file; the executable that starts the server is a thin shell over it.
        .target(name: "TroupeCLI", dependencies: ["Troupe", "TroupeStore", "TroupeBackend"], swiftSettings: strict),
        .testTarget(name: "TroupeCLITests", dependencies: ["TroupeCLI", "TroupeBackend", "TroupeStore", "Troupe"], swiftSettings: strict),
        // The server: `troupe serve` (the flag table is TroupeCLI's; this is a thin shell).
        .executableTarget(
            name: "troupe", dependencies: ["Troupe", "TroupeBackend", "TroupeCLI", "TroupeServer", "TroupeWire", "CSignals"], path: "Sources/troupe",
            swiftSettings: strict
        ),
        // SIGINT/SIGTERM handlers that only write to a pipe, read by the server's signal thread.
        .target(name: "CSignals", path: "Sources/CSignals"),
        // The TCP front: epoll event loops (epoll, eventfd, accept4 through a tiny C shim) and
        // the glue between the wire codec and the backend.
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(name: "TroupeServer", dependencies: ["Troupe", "TroupeBackend", "TroupeWire", "CEpoll", "CMalloc"], swiftSettings: strict),
        .testTarget(
            name: "TroupeServerTests", dependencies: ["TroupeServer", "TroupeBackend", "TroupeWire", "Troupe", "TroupeStore", "TroupeTesting", "TroupeTestSupport"], swiftSettings: strict
        ),
        .testTarget(
            name: "TroupeBackendTests", dependencies: ["TroupeBackend", "TroupeStore", "TroupeTesting", "TroupeTestSupport"], swiftSettings: strict
        ),
    ]
)
