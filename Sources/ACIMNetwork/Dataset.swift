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

    /// Per-sample shape of the images.
    public static let inputShape = [1, 8, 8]
    /// What the models `acim model train` writes declare: pixels 0...16 scaled to [0, 1].
    public static let preprocessing = Preprocessing(scale: [1.0 / 16], offset: [0])

    /// Reads `digits.csv` (header `p0..p63,label`) raw: images `[N, 1, 8, 8]` of pixels 0...16.
    public static func load(path: String) throws -> Dataset {
        try DataFile.csv(path: path, inputShape: inputShape)
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
