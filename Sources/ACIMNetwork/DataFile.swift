import ACIMCore
import Foundation

/// Labelled data sets as users bring them, read raw (a model's preprocessing is applied afterwards) and
/// checked against the model's input shape, the sizes against memory before anything large is allocated.
public enum DataFile {
    /// A CSV file: an optional header line (no field a number), then one sample per line: the input's values
    /// in row-major order (as many as `inputShape` holds), then its integer label. Any number of lines.
    public static func csv(path: String, inputShape: [Int], memory: Double = MemoryBudget.physicalMemory) throws -> Dataset {
        let width = inputShape.reduce(1, *)
        let size = try fileSize(path)
        // The text, and at most one Float32 value per two characters ("0,").
        try MemoryBudget.require(3 * size, for: "\(path) (\(MemoryBudget.format(size)) of CSV)", available: memory)
        guard let text = String(data: try FileAccess.contents(of: path), encoding: .utf8) else {
            throw ACIMError.malformedFile(path: path, reason: "not UTF-8 text")
        }
        var values: [Float] = [], labels: [Int] = []
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            if fields == [""] { continue }
            let numbers = fields.map { Float($0) }
            if number == 1, numbers.allSatisfy({ $0 == nil }) { continue }
            func fail(_ reason: String) -> ACIMError { .malformedFile(path: path, reason: "line \(number): \(reason)") }
            guard fields.count == width + 1 else {
                throw fail("\(fields.count) fields: expected \(width + 1), the \(width) values of the model's input shape "
                           + "\(inputShape) then the label")
            }
            for (column, value) in numbers.dropLast().enumerated() {
                guard let value, value.isFinite else { throw fail("field \(column + 1) is \"\(fields[column])\": expected a finite number") }
                values.append(value)
            }
            guard let label = Int(fields[width]), label >= 0 else {
                throw fail("the label (last field) is \"\(fields[width])\": expected a non-negative integer")
            }
            labels.append(label)
        }
        guard !labels.isEmpty else { throw ACIMError.malformedFile(path: path, reason: "no samples: expected lines of \(width) values and a label") }
        return Dataset(images: Tensor(shape: [labels.count] + inputShape, data: values), labels: labels)
    }

    /// Inputs from the `.npy` file at `inputs`, which must hold `[N] + inputShape` finite values (N >= 1;
    /// float32, float64 or integer such as uint8 pixels), and their integer labels from the `.npy` file at
    /// `labels`, one per input; nil labels when none is given.
    public static func npy(inputs path: String, labels labelsPath: String?, inputShape: [Int],
                           memory: Double = MemoryBudget.physicalMemory) throws -> (images: Tensor, labels: [Int]?) {
        let declared = try NPYArray.declaredShape(path: path)
        guard declared.shape.count == inputShape.count + 1, Array(declared.shape.dropFirst()) == inputShape, declared.shape[0] > 0 else {
            throw ACIMError.malformedFile(path: path, reason: "shape \(declared.shape): expected [N] + the model's input shape \(inputShape), N >= 1")
        }
        let count = Double(declared.shape.reduce(1, *))
        // The file, its values widened to Double, then as Float32.
        try MemoryBudget.require(count * Double(2 * declared.elementSize + 12), for: "\(path) (\(declared.shape))", available: memory)
        let array = try NPYArray.read(path: path)
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw ACIMError.malformedFile(path: path, reason: "value \(bad) is \(array.values[bad]): expected finite numbers")
        }
        let images = Tensor(shape: array.shape, data: array.values.map { Float($0) })
        guard let labelsPath else { return (images, nil) }
        let labelArray = try NPYArray.read(path: labelsPath)
        guard labelArray.values.count == array.shape[0], labelArray.shape.count <= 1 else {
            throw ACIMError.malformedFile(path: labelsPath, reason: "shape \(labelArray.shape): expected \(array.shape[0]) labels, one per input of \(path)")
        }
        let labels = try labelArray.values.enumerated().map { index, value -> Int in
            guard value == value.rounded(), value >= 0, value < 1e9 else {
                throw ACIMError.malformedFile(path: labelsPath, reason: "value \(index) is \(value): expected non-negative integer labels")
            }
            return Int(value)
        }
        return (images, labels)
    }

    private static func fileSize(_ path: String) throws -> Double {
        if let problem = FileAccess.problem(reading: path) { throw ACIMError.io(path: path, reason: problem) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return Double((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
    }
}

extension DataFile {
    /// Throws unless every label is one of `allowed` (a model's class labels), naming `path`, the sample and
    /// the label.
    public static func checkLabels(_ labels: [Int], allowed: [Int], path: String) throws {
        let known = Set(allowed)
        if let bad = labels.indices.first(where: { !known.contains(labels[$0]) }) {
            let range = allowed == Array(0..<allowed.count) ? "0...\(allowed.count - 1)" : allowed.map(String.init).joined(separator: ",")
            throw ACIMError.malformedFile(path: path, reason: "sample \(bad) has label \(labels[bad]): expected one of the model's "
                                          + "\(allowed.count) class labels \(range)")
        }
    }
}

extension Dataset {
    /// The training, calibration and evaluation splits, and the samples the evaluation split holds: for the
    /// bundled digits data set (`bundledDigits`, which only the option that chose it can tell) the digits
    /// split (`Digits.splits`); for any other data set, all of it for training and evaluation and its first
    /// 512 samples for calibration.
    public func splits(bundledDigits: Bool) throws
        -> (training: Dataset, calibration: Dataset, evaluation: Dataset, evaluationRows: Range<Int>) {
        if bundledDigits {
            let (training, calibration, evaluation) = try Digits.splits(self)
            return (training, calibration, evaluation, Digits.evaluationRows)
        }
        return (self, subset(Array(0..<Swift.min(Digits.calibrationCount, count))), self, 0..<count)
    }
}
