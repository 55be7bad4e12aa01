// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "acimsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "acim", targets: ["acim"]),
        .library(name: "ACIMArray", targets: ["ACIMArray"]),
        .library(name: "ACIMNetwork", targets: ["ACIMNetwork"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "ACIMCore", dependencies: ["CBLAS"]),
        .target(name: "ACIMArray", dependencies: ["ACIMCore"]),
        .target(name: "ACIMNetwork", dependencies: ["ACIMCore"]),
        .executableTarget(
            name: "acim",
            dependencies: [
                "ACIMCore", "ACIMArray", "ACIMNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ACIMCoreTests", dependencies: ["ACIMCore"]),
        .testTarget(name: "ACIMArrayTests", dependencies: ["ACIMArray"]),
        .testTarget(name: "ACIMNetworkTests", dependencies: ["ACIMNetwork"]),
    ]
)
