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
    ],
    targets: [
        .target(name: "Troupe", swiftSettings: strict),
        .target(name: "TroupeTesting", dependencies: ["Troupe"], swiftSettings: strict),
        .testTarget(name: "TroupeTests", dependencies: ["Troupe", "TroupeTesting"], swiftSettings: strict),
    ]
)
