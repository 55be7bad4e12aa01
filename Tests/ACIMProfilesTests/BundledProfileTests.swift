import ACIMArray
import ACIMCore
import ACIMProfiles
import Foundation
import Testing

@Suite struct BundledProfileTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HardwareProfiles")

    static let names = ["default", "default-pcm", "aihwkit-pcm", "hermes-pcm", "neurram-rram", "isaac-rram"]

    static func load(_ name: String) throws -> HardwareProfile {
        try ProfileLoader.load(path: directory.appendingPathComponent(name + ".yaml").path)
    }

    @Test func everyBundledProfileIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(Self.names.map { $0 + ".yaml" }))
    }

    @Test(arguments: names)
    func loadsAndRoundTrips(_ name: String) throws {
        let profile = try Self.load(name)
        #expect(profile.name == name)
        #expect(profile.validate().isEmpty)
        let shown = try profile.yaml()
        let reloaded = try ProfileLoader.load(yaml: shown, file: "shown.yaml")
        #expect(reloaded == profile)
        #expect(try reloaded.yaml() == shown)
    }

    @Test(arguments: names)
    func citesItsSourceAndSeparatesAssumptions(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name + ".yaml"), encoding: .utf8)
        let comments = text.split(separator: "\n").filter { $0.hasPrefix("#") }.joined(separator: "\n")
        #expect(comments.contains("ssumed"))
        if name != "default" { #expect(comments.contains("From ")) }
    }

    @Test func defaultProfileWritesOutTheBuiltInDefaults() throws {
        var profile = try Self.load("default")
        profile.name = HardwareProfile().name
        profile.description = ""
        #expect(profile == HardwareProfile())
    }

    @Test func chipsHaveThePublishedShapes() throws {
        let aihwkit = try Self.load("aihwkit-pcm")
        #expect(aihwkit.device.gMax.value == 25e-6)
        #expect(aihwkit.periphery.inputBits == 7 && aihwkit.periphery.adc.bits == 9)

        let hermes = try Self.load("hermes-pcm")
        #expect(hermes.array.rows == 256 && hermes.array.cols == 256)
        #expect(hermes.chip.tiles * hermes.tile.arrays == 64)
        #expect(hermes.technology.node.value == 14e-9)

        let neurram = try Self.load("neurram-rram")
        #expect(neurram.array.rows == 256 && neurram.array.cols == 256)
        #expect(neurram.chip.tiles * neurram.tile.arrays == 48)
        // 256 neurons per core, one per bit line.
        #expect(CrossbarLayout(config: neurram.crossbar).adcCount == 256)

        let isaac = try Self.load("isaac-rram")
        #expect(isaac.array.rows == 128 && isaac.array.cols == 129 && isaac.array.bitsPerCell == 2)
        #expect(isaac.periphery.adc.bits == 8 && isaac.periphery.adc.columnsPerADC == 129)
        // 16-bit offset weights in 2-bit cells: 16 weights of 8 slices on 128 columns, plus the 129th column of
        // unit cells, all on one ADC.
        let layout = CrossbarLayout(config: isaac.crossbar)
        #expect(layout.slices == 8 && layout.offsetColumns == 1 && layout.weightCapacity == 16)
        #expect(layout.adcCount == 1)
    }

    @Test func isaacProfileComputesExactMVMs() throws {
        // ISAAC's 8-bit ADC shared by 128 columns gives exact dot products (Shafiee et al. 2016); the profile's
        // calibrated range reproduces that on the bit-accurate engine.
        let config = try Self.load("isaac-rram").crossbar
        var rng = RandomStream(seed: 7, purpose: .userInput)
        let weights = Matrix<Float>(rows: 128, columns: 16) { _, _ in Float(rng.nextGaussian()) }
        let inputs = Matrix<Float>(rows: 4, columns: 128) { _, _ in abs(Float(rng.nextGaussian())) }
        let result = try QuantizedMVM.run(weights: weights, inputs: inputs, config: config, engine: FastEngine(),
                                          array: testArray, temperature: 300, seed: 7)
        #expect(result.exactFraction == 1)
    }
}
