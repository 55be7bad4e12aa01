import ACIMCore
import Foundation

/// Labelled images, batch axis first.
public struct Dataset: Sendable {
    public var images: Tensor
    public var labels: [Int]

    public init(images: Tensor, labels: [Int]) {
        self.images = images
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let per = images.shape.dropFirst().reduce(1, *)
        var data: [Float] = []
        data.reserveCapacity(indices.count * per)
        for i in indices { data.append(contentsOf: images.data[(i * per)..<((i + 1) * per)]) }
        return Dataset(images: Tensor(shape: [indices.count] + images.shape.dropFirst(), data: data), labels: indices.map { labels[$0] })
    }

    /// Inputs from the `.npy` file at `images`, which must hold `[N] + shape` finite values (N >= 1), and
    /// their integer labels from the `.npy` file at `labels`, one per input; nil labels when none is given.
    public static func load(images path: String, labels labelsPath: String?, shape: [Int]) throws -> (images: Tensor, labels: [Int]?) {
        let array = try NPYArray.read(path: path)
        guard array.shape.count == shape.count + 1, Array(array.shape.dropFirst()) == shape, array.shape[0] > 0 else {
            throw ACIMError.malformedFile(path: path, reason: "shape \(array.shape): expected [N] + the model's input shape \(shape), N >= 1")
        }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw ACIMError.malformedFile(path: path, reason: "value \(bad) is \(array.values[bad]): expected finite numbers")
        }
        let images = Tensor(shape: array.shape, data: array.values.map { Float($0) })
        guard let labelsPath else { return (images, nil) }
        let labelArray = try NPYArray.read(path: labelsPath)
        guard labelArray.values.count == array.shape[0], labelArray.shape.count <= 1 else {
            throw ACIMError.malformedFile(path: labelsPath, reason: "shape \(labelArray.shape): expected \(array.shape[0]) labels, one per input")
        }
        let labels = try labelArray.values.enumerated().map { index, value -> Int in
            guard value == value.rounded(), abs(value) < 1e9 else {
                throw ACIMError.malformedFile(path: labelsPath, reason: "value \(index) is \(value): expected integer labels")
            }
            return Int(value)
        }
        return (images, labels)
    }

    /// The samples whose label is in `classes`.
    public func restricted(to classes: [Int]) -> Dataset {
        subset(labels.indices.filter { classes.contains(labels[$0]) })
    }
}

/// The bundled 8x8 handwritten digits (Data/digits, UCI optdigits test set, CC BY 4.0) and its split.
public enum Digits {
    /// Rows used for training and batch-norm calibration.
    public static let trainingRows = 0..<1437
    /// Rows used for evaluation.
    public static let evaluationRows = 1437..<1797
    /// Images of the training split used to re-estimate batch-norm statistics per subtask.
    public static let calibrationCount = 512
    public static let classes = (0...9).map(String.init)

    /// Reads `digits.csv` (header `p0..p63,label`, pixels 0..16) into images `[N, 1, 8, 8]` scaled to [0, 1].
    public static func load(path: String) throws -> Dataset {
        guard let text = String(data: try FileAccess.contents(of: path), encoding: .utf8) else {
            throw ACIMError.malformedFile(path: path, reason: "the digits CSV is not UTF-8 text")
        }
        var lines = text.split(whereSeparator: \.isNewline)
        guard let header = lines.first, header.hasPrefix("p0,") else {
            throw ACIMError.malformedFile(path: path, reason: "line 1: expected the header p0..p63,label")
        }
        lines.removeFirst()
        var pixels: [Float] = []
        var labels: [Int] = []
        pixels.reserveCapacity(lines.count * 64)
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: ",")
            let values = fields.compactMap { Int($0) }
            guard fields.count == 65, values.count == 65, values.dropLast().allSatisfy({ (0...16).contains($0) }),
                  (0...9).contains(values[64]) else {
                throw ACIMError.malformedFile(path: path, reason: "line \(index + 2): expected 64 pixels in 0...16 and a label in 0...9")
            }
            pixels.append(contentsOf: values.dropLast().map { Float($0) / 16 })
            labels.append(values[64])
        }
        return Dataset(images: Tensor(shape: [labels.count, 1, 8, 8], data: pixels), labels: labels)
    }

    /// The training, calibration and evaluation splits of the data set's README.
    public static func splits(_ all: Dataset) throws -> (training: Dataset, calibration: Dataset, evaluation: Dataset) {
        guard all.count == evaluationRows.upperBound else {
            throw ACIMError.shapeMismatch("the digits data set has \(all.count) images: expected \(evaluationRows.upperBound)")
        }
        let training = all.subset(Array(trainingRows))
        return (training, training.subset(Array(0..<calibrationCount)), all.subset(Array(evaluationRows)))
    }
}
