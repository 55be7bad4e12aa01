// swift-tools-version:6.1
// The libFuzzer targets of acimsim, a package of their own so that the ordinary `swift build` and `swift test`
// of the repository never build them. Build and run them with `make fuzz` (Fuzz/run.sh, docs/fuzzing.md).
import PackageDescription

let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "acimsim-fuzz",
    dependencies: [.package(name: "acimsim", path: "..")],
    targets: [
        .executableTarget(name: "FuzzProfile", dependencies: [.product(name: "ACIMProfiles", package: "acimsim")],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzModel", dependencies: [.product(name: "ACIMNetwork", package: "acimsim")],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzONNX", dependencies: [.product(name: "ACIMONNX", package: "acimsim")],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzNPY", dependencies: [.product(name: "ACIMNetwork", package: "acimsim")],
                          swiftSettings: harness),
    ]
)
