// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "acimsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "acim", targets: ["acim"]),
        .library(name: "ACIMArray", targets: ["ACIMArray"]),
        .library(name: "ACIMProfiles", targets: ["ACIMProfiles"]),
        .library(name: "ACIMNetwork", targets: ["ACIMNetwork"]),
        .library(name: "ACIMHost", targets: ["ACIMHost"]),
        .library(name: "ACIMONNX", targets: ["ACIMONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // oneDNN's int8 matmul, for the exact integer GEMMs (Debian: libdnnl-dev, which has no pkg-config file).
        .target(name: "COneDNN", linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),
        .target(name: "CHeap"),
        .target(name: "CKernels"),
        .target(name: "CParallel"),
        .target(name: "ACIMCore", dependencies: ["CBLAS", "COneDNN", "CKernels", "CParallel"]),
        .target(name: "ACIMArray", dependencies: ["ACIMCore", "CKernels"]),
        .target(name: "ACIMChip", dependencies: ["ACIMArray", "ACIMCore"]),
        .target(name: "ACIMNetwork", dependencies: ["ACIMCore", "CKernels"]),
        // ONNX import; onnx.pb.swift is generated from onnx.proto (docs/onnx.md).
        .target(name: "ACIMONNX", dependencies: ["ACIMNetwork", "ACIMCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "ACIMHost", dependencies: ["ACIMChip", "ACIMNetwork", "ACIMArray", "ACIMCore"]),
        .target(name: "ACIMTraces", dependencies: ["ACIMHost", "ACIMChip", "ACIMNetwork", "ACIMArray", "ACIMCore"]),
        .target(
            name: "ACIMProfiles",
            dependencies: ["ACIMChip", "ACIMArray", "ACIMCore", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "ACIMSweeps",
            dependencies: ["ACIMProfiles", "ACIMTraces", "ACIMCore", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "ACIMCLI",
            dependencies: [
                "ACIMCore", "ACIMArray", "ACIMChip", "ACIMProfiles", "ACIMNetwork", "ACIMONNX", "ACIMHost", "ACIMTraces", "ACIMSweeps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "acim", dependencies: ["CHeap", "ACIMCLI"]),
        .testTarget(name: "ACIMCoreTests", dependencies: ["ACIMCore"]),
        .testTarget(name: "ACIMArrayTests", dependencies: ["ACIMArray"]),
        .testTarget(name: "ACIMChipTests", dependencies: ["ACIMChip"]),
        .testTarget(name: "ACIMProfilesTests", dependencies: ["ACIMProfiles"], exclude: ["Broken"]),
        .testTarget(name: "ACIMNetworkTests", dependencies: ["ACIMNetwork"]),
        .testTarget(name: "ACIMONNXTests", dependencies: ["ACIMONNX", "ACIMNetwork", "ACIMCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ACIMHostTests", dependencies: ["ACIMHost", "ACIMChip", "ACIMNetwork", "ACIMArray", "ACIMCore"]),
        .testTarget(name: "ACIMTracesTests", dependencies: ["ACIMTraces", "ACIMHost", "ACIMChip", "ACIMNetwork", "ACIMArray", "ACIMCore"],
                    exclude: ["BrokenTraces"]),
        .testTarget(name: "ACIMSweepsTests", dependencies: ["ACIMSweeps", "ACIMProfiles", "ACIMCore"]),
        .testTarget(
            name: "ACIMCLITests",
            dependencies: ["ACIMCLI", "ACIMCore", "ACIMNetwork", "ACIMSweeps", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
    ]
)
