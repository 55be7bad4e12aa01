import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

struct TrainingTests {
    /// A tiny CNN trained for a few epochs on 300 training images learns far above the 10% of chance.
    @Test(arguments: [OptimizerKind.adam, .sgd]) func shortRunLearns(optimizer: OptimizerKind) throws {
        let (training, calibration, evaluation) = try Digits.splits(try digits())
        let (base, _) = try Architectures.convNet(inputShape: [1, 8, 8], classes: Digits.classes, channels: [4, 8], seed: 3)
        var settings = TrainingSettings()
        settings.optimizer = optimizer
        settings.weightRate = optimizer == .adam ? 1e-2 : 5e-2
        settings.batchSize = 20
        var trainer = try SubtaskTrainer(base: base, basicSubtasks: [Array(0..<10)], sites: [], beta: 1, settings: settings)
        let subset = training.subset(Array(0..<300))
        var losses: [Float] = []
        for epoch in 0..<4 { losses.append(try trainer.trainEpoch(subset, epoch: epoch)) }
        let network = try trainer.network.base.calibrated(on: calibration.subset(Array(0..<128)))
        let accuracy = try network.accuracy(on: evaluation)
        #expect(losses.last! < losses.first!)
        #expect(accuracy > 0.6, "accuracy \(accuracy)")
    }

    /// The same seed gives bit-identical weights and masks.
    @Test func trainingIsDeterministic() throws {
        let data = try digits().subset(Array(0..<64))
        func run() throws -> SubtaskAdaptiveNetwork {
            let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: Digits.classes, channels: [3, 4], seed: 9)
            var settings = TrainingSettings()
            settings.seed = 9
            var trainer = try SubtaskTrainer(base: base, basicSubtasks: [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], sites: sites, settings: settings)
            _ = try trainer.trainEpoch(data, epoch: 0)
            return trainer.network
        }
        let a = try run(), b = try run()
        #expect(a.base.parameters == b.base.parameters)
        #expect(a.utilityParameters == b.utilityParameters)
        #expect(a.scaling == b.scaling)
    }

    /// Two subtasks per minibatch: each half of the batch gets its own subtask, the update is deterministic.
    @Test func severalSubtasksPerBatch() throws {
        let data = try digits().subset(Array(0..<32))
        func run() throws -> SubtaskAdaptiveNetwork {
            let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: Digits.classes, channels: [3, 4], seed: 4)
            var settings = TrainingSettings()
            settings.subtasksPerBatch = 2
            settings.fullProbability = 0
            settings.maxCombined = 1
            var trainer = try SubtaskTrainer(base: base, basicSubtasks: [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], sites: sites, settings: settings)
            #expect(trainer.sampleSubtask(step: 0) != trainer.sampleSubtask(step: 1) || trainer.sampleSubtask(step: 2) != trainer.sampleSubtask(step: 3))
            let loss = try trainer.trainStep(data)
            #expect(loss.isFinite && loss > 0)
            return trainer.network
        }
        let a = try run(), b = try run()
        #expect(a.base.parameters == b.base.parameters && a.utilityParameters == b.utilityParameters)
    }

    @Test func badSettingsAreRejected() throws {
        let (base, sites) = try Architectures.convNet(inputShape: [1, 8, 8], classes: Digits.classes, channels: [3], seed: 1)
        var settings = TrainingSettings()
        settings.batchSize = 0
        #expect(throws: ACIMError.self) { try SubtaskTrainer(base: base, basicSubtasks: [[0]], sites: sites, settings: settings) }
        #expect(throws: ACIMError.self) { try SubtaskTrainer(base: base, basicSubtasks: [[0, 11]], sites: sites, settings: TrainingSettings()) }
    }
}

struct TrainingSettingsTests {
    @Test func decodesWithDefaultsAndListsEveryIssue() throws {
        let settings = try JSONDecoder().decode(TrainingSettings.self, from: Data(#"{"epochs": 5, "optimizer": "sgd"}"#.utf8))
        #expect(settings.epochs == 5 && settings.optimizer == .sgd && settings.batchSize == 32 && settings.gamma == 0.1)
        var bad = TrainingSettings()
        bad.batchSize = 0
        bad.fullProbability = 1.5
        #expect(bad.validate().map { $0.path } == [["batch_size"], ["full_probability"]])
        // Every stored property is declared as a key, each under its own name.
        #expect(Mirror(reflecting: TrainingSettings()).children.count == TrainingSettings.fields.count)
        #expect(Set(TrainingSettings.fields.map(\.key)).count == TrainingSettings.fields.count)
        let roundTrip = try JSONDecoder().decode(TrainingSettings.self, from: try JSONEncoder().encode(bad))
        #expect(roundTrip == bad)
    }

    /// Every declared range: a value just inside decodes and validates, one just outside is rejected at its key.
    @Test func declaredRangesAreTheValidation() throws {
        for field in TrainingSettings.fields {
            for sample in field.samples {
                let value = Double(sample.yaml) == nil ? "\"\(sample.yaml)\"" : sample.yaml
                let decoded = try? JSONDecoder().decode(TrainingSettings.self, from: Data(#"{"\#(field.key)": \#(value)}"#.utf8))
                let issues = decoded.map { $0.validate().filter { $0.path == [field.key] && $0.message.hasPrefix("expected") } }
                #expect((issues?.isEmpty ?? false) == sample.admitted, "\(field.key): \(sample.yaml)")
            }
            if !field.defaultValue.isEmpty, field.defaultValue != "null" {
                let json = #"{"\#(field.key)": \#(Double(field.defaultValue) == nil ? "\"\(field.defaultValue)\"" : field.defaultValue)}"#
                #expect(try JSONDecoder().decode(TrainingSettings.self, from: Data(json.utf8)) == TrainingSettings(), "\(field.key)")
            }
        }
    }
}
