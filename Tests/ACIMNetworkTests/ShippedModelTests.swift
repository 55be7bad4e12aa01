import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// The shipped Models/digits-san.safetensors: its accuracy and pruning targets (at least 95 % for the full
/// network, at most 60 % of the MACs per basic subtask) and 8-bit integer inference.
struct ShippedModelTests {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/digits-san.safetensors").path

    func shipped() throws -> SubtaskAdaptiveNetwork {
        try #require(try ModelFile.load(path: path).subtaskNetwork)
    }

    /// The file declares the digits' preprocessing (pixels 0...16 to [0, 1]) and is, byte for byte, what the
    /// encoder writes for what it holds.
    @Test func declaresItsPreprocessing() throws {
        let bytes = try FileAccess.contents(of: path)
        let model = try ModelFile.decode(bytes, path: path)
        #expect(model.preprocessing == Preprocessing(scale: [0.0625], offset: [0]))
        #expect(try ModelFile.encode(model) == bytes)
    }

    /// Full network ≥ 95 %; each basic subtask keeps ≤ 60 % of the MACs within 2 points of the full network
    /// on its classes.
    @Test func meetsTargets() throws {
        let san = try shipped()
        let (_, calibration, evaluation) = try Digits.splits(try digits())
        var pruner = SubtaskPruner(san, calibration: calibration)
        let rows = try pruner.report([san.fullSubtask] + san.basicSubtasks.indices.map { Subtask([$0]) }, evaluation: evaluation)
        #expect(rows[0].accuracy >= 0.95)
        for row in rows.dropFirst() {
            #expect(row.macFraction <= 0.6, "\(row.subtask)")
            #expect(row.accuracy >= row.fullAccuracy - 0.02, "\(row.subtask): \(row.accuracy) vs \(row.fullAccuracy)")
        }
    }

    /// 8-bit integer inference of the shipped model stays within a point of float on the evaluation split.
    @Test func shippedModelInEightBits() throws {
        let san = try shipped()
        let (_, calibration, evaluation) = try Digits.splits(try digits())
        let pruned = try san.prune(san.fullSubtask, calibration: calibration)
        let float = try pruned.network.accuracy(on: evaluation, labelOf: { pruned.outputClasses[$0] })
        let integer = try IntegerQuantization(pruned.network, calibration: calibration)
        let quantized = try pruned.network.accuracy(on: evaluation, integer: integer, labelOf: { pruned.outputClasses[$0] })
        #expect(float >= 0.95)
        #expect(abs(float - quantized) <= 0.01)
        #expect(throws: ACIMError.self) { try IntegerQuantization(pruned.network, calibration: calibration, weightBits: 16) }
    }
}
