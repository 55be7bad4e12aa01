import ACIMArray
import ACIMChip
import ACIMCore
import ACIMNetwork
import Foundation

/// A batch of inferences run on the chip and on the digital reference, compared with each other and with
/// the labels.
public struct ChipEvaluation: Sendable {
    public let inferences: Int
    /// Fraction of inputs whose chip output ranks their label first; nil without labels.
    public let accuracy: Double?
    /// The same for the digital reference (the chip's codes, every product exact).
    public let referenceAccuracy: Double?
    /// Fraction of inputs on which the chip and the reference rank the same output first.
    public let agreement: Double
    /// Root-mean-square of the chip's logits less the reference's, over the reference's root mean square,
    /// on the outputs served.
    public let logitRelativeRMSError: Double
    /// Largest absolute difference between a served chip logit and the reference's.
    public let logitMaxError: Double
    public let costs: InferenceCosts
    /// The chip's logits, `[inferences, outputs]`.
    public let logits: Tensor
}

extension MappedNetwork {
    /// Runs `images` through the chip in batches of `batch` and through the digital reference, and compares
    /// them. `labelOf[output]` is the label each output stands for, nil for an output not served (it never
    /// ranks first); `labels`, when given, are scored against it.
    /// Input `n` is inference `firstInference + n`; `engine` and `arrayEngine` are as for `infer`.
    /// `progress` is called with the inferences done.
    public func evaluate(_ images: Tensor, labels: [Int]?, labelOf: [Int?], on chip: inout Chip, engine: any MVMEngine,
                         arrayEngine: (any MVMEngine)? = nil, seed: UInt64, firstInference: UInt64 = 0, batch: Int = 32,
                         progress: (Int) -> Void = { _ in }) throws -> ChipEvaluation {
        let count = images.shape[0], per = network.inputShape.reduce(1, *)
        let outputs = network.shapes[network.outputName]!.reduce(1, *)
        guard count > 0 else { throw ACIMError.shapeMismatch("no inputs to run") }
        guard labels == nil || labels!.count == count else {
            throw ACIMError.shapeMismatch("\(labels!.count) labels for \(count) inputs")
        }
        guard labelOf.count == outputs else {
            throw ACIMError.shapeMismatch("\(labelOf.count) labels name the network's \(outputs) outputs")
        }
        var logits: [Float] = [], reference: [Float] = []
        logits.reserveCapacity(count * outputs)
        reference.reserveCapacity(count * outputs)
        var costs: InferenceCosts?
        for start in stride(from: 0, to: count, by: max(1, batch)) {
            let end = min(count, start + max(1, batch))
            let slice = Tensor(shape: [end - start] + network.inputShape, data: Array(images.data[(start * per)..<(end * per)]))
            // The digital reference runs on its own thread while the chip runs on this one (and its workers).
            let exact = ReferenceThread(self, slice)
            let result = try infer(slice, on: &chip, engine: engine, arrayEngine: arrayEngine, seed: seed,
                                   firstInference: firstInference + UInt64(start))
            logits += result.logits.data
            reference += try exact.value().data
            costs = costs.map { $0 + result.costs } ?? result.costs
            progress(end)
        }
        let candidates = (0..<outputs).filter { labelOf[$0] != nil }
        guard !candidates.isEmpty else { throw ACIMError.shapeMismatch("no output of the network is served") }
        func top(_ values: [Float], _ n: Int) -> Int {
            candidates.max { values[n * outputs + $0] < values[n * outputs + $1] }!
        }
        var agree = 0, chipCorrect = 0, referenceCorrect = 0
        for n in 0..<count {
            let (a, b) = (top(logits, n), top(reference, n))
            if a == b { agree += 1 }
            if let labels {
                if labelOf[a] == labels[n] { chipCorrect += 1 }
                if labelOf[b] == labels[n] { referenceCorrect += 1 }
            }
        }
        var squaredError = 0.0, squaredReference = 0.0, maxError = 0.0
        for n in 0..<count {
            for c in candidates {
                let (x, y) = (logits[n * outputs + c], reference[n * outputs + c])
                let error = Double(x) - Double(y)
                squaredError += error * error
                squaredReference += Double(y) * Double(y)
                maxError = max(maxError, abs(error))
            }
        }
        return ChipEvaluation(
            inferences: count,
            accuracy: labels.map { _ in Double(chipCorrect) / Double(count) },
            referenceAccuracy: labels.map { _ in Double(referenceCorrect) / Double(count) },
            agreement: Double(agree) / Double(count),
            logitRelativeRMSError: squaredReference > 0 ? (squaredError / squaredReference).squareRoot() : squaredError.squareRoot(),
            logitMaxError: maxError, costs: costs!, logits: Tensor(shape: [count, outputs], data: logits))
    }
}

/// The digital reference of a batch computed on a thread of its own; `value()` waits for it.
private final class ReferenceThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Tensor, Error>?

    init(_ mapped: MappedNetwork, _ images: Tensor) {
        let thread = Thread { [self] in
            result = Result { try mapped.reference(images) }
            done.signal()
        }
        thread.start()
    }

    func value() throws -> Tensor {
        done.wait()
        return try result!.get()
    }
}
