import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// Own data sets: CSV files of any length and `.npy` inputs and labels, read raw and checked against the
/// model's input shape, each refusal naming the file and what mismatched.
struct DataFileTests {
    let folder: String = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("acim-data-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }()

    let digitsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/digits/digits.csv").path

    func file(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A `.npy` file of unsigned bytes (what `np.save` writes for a uint8 array).
    func bytes(_ name: String, shape: [Int], _ values: [UInt8]) throws -> String {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let path = folder + "/" + name
        try (Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
            + Data(header.utf8) + Data(values)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func reason(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "accepted"
        } catch let error as ACIMError { return error.description } catch { return "unexpected \(error)" }
    }

    @Test func csvOfAnyLengthWithOrWithoutHeader() throws {
        let headed = try file("a.csv", "x0,x1,x2,x3,label\n1,2,3,4,0\n0.5,-1,2e1,7,2\n")
        let data = try DataFile.csv(path: headed, inputShape: [1, 2, 2])
        #expect(data.images == Tensor(shape: [2, 1, 2, 2], data: [1, 2, 3, 4, 0.5, -1, 20, 7]))
        #expect(data.labels == [0, 2])
        let bare = try file("b.csv", "1,2,3,4,1\r\n5,6,7,8,0\r\n\n")
        let plain = try DataFile.csv(path: bare, inputShape: [4])
        #expect(plain.images.shape == [2, 4] && plain.labels == [1, 0])
        let digits = try Digits.load(path: digitsPath)
        #expect(digits.count == 1797 && digits.images.data.max() == 16)
    }

    @Test func csvMismatchesNameTheFileAndLine() throws {
        let short = try file("short.csv", "x0,x1,x2,x3,label\n1,2,3,4,0\n1,2,3,0\n")
        #expect(reason { try DataFile.csv(path: short, inputShape: [1, 2, 2]) }
            == "\(short): malformed file: line 3: 4 fields: expected 5, the 4 values of the model's input shape [1, 2, 2] then the label")
        let word = try file("word.csv", "1,2,x,4,0\n")
        #expect(reason { try DataFile.csv(path: word, inputShape: [4]) }
            == "\(word): malformed file: line 1: field 3 is \"x\": expected a finite number")
        let nan = try file("nan.csv", "h\n1,nan,3,4,0\n")
        #expect(reason { try DataFile.csv(path: nan, inputShape: [4]) }
            == "\(nan): malformed file: line 2: field 2 is \"nan\": expected a finite number")
        for label in ["-1", "2.5", "b"] {
            let bad = try file("label.csv", "1,2,3,4,\(label)\n")
            #expect(reason { try DataFile.csv(path: bad, inputShape: [4]) }
                == "\(bad): malformed file: line 1: the label (last field) is \"\(label)\": expected a non-negative integer")
        }
        let empty = try file("empty.csv", "p0,p1,label\n")
        #expect(reason { try DataFile.csv(path: empty, inputShape: [2]) }
            == "\(empty): malformed file: no samples: expected lines of 2 values and a label")
        #expect(reason { try DataFile.csv(path: folder + "/none.csv", inputShape: [2]) } == "\(folder)/none.csv: no such file")
        let some = try file("some.csv", "1,2,0\n")
        #expect(reason { try DataFile.csv(path: some, inputShape: [2], memory: 10) }
            == "resource limit: \(some) (6 B of CSV) needs about 18 B; this machine has 10 B")
    }

    @Test func npyInputsOfBytesOrFloatsWithIntegerLabels() throws {
        let pixels = try bytes("x.npy", shape: [3, 1, 2, 2], Array(0..<12).map { UInt8($0 * 20) })
        let labels = folder + "/y.npy"
        try NPYArray(shape: [3], values: [2, 0, 1]).write(path: labels)
        let (images, read) = try DataFile.npy(inputs: pixels, labels: labels, inputShape: [1, 2, 2])
        #expect(images == Tensor(shape: [3, 1, 2, 2], data: (0..<12).map { Float($0 * 20) }))
        #expect(read == [2, 0, 1])
        #expect(try DataFile.npy(inputs: pixels, labels: nil, inputShape: [1, 2, 2]).labels == nil)
        #expect(reason { try DataFile.npy(inputs: pixels, labels: nil, inputShape: [4]) }
            == "\(pixels): malformed file: shape [3, 1, 2, 2]: expected [N] + the model's input shape [4], N >= 1")
        #expect(reason { try DataFile.npy(inputs: pixels, labels: nil, inputShape: [1, 2, 2], memory: 100) }
            == "resource limit: \(pixels) ([3, 1, 2, 2]) needs about 168 B; this machine has 100 B")
        let two = folder + "/two.npy"
        try NPYArray(shape: [2], values: [1, 0]).write(path: two)
        #expect(reason { try DataFile.npy(inputs: pixels, labels: two, inputShape: [1, 2, 2]) }
            == "\(two): malformed file: shape [2]: expected 3 labels, one per input of \(pixels)")
        let fractional = folder + "/half.npy"
        try NPYArray(shape: [3], values: [1, 0.5, 0]).write(path: fractional)
        #expect(reason { try DataFile.npy(inputs: pixels, labels: fractional, inputShape: [1, 2, 2]) }
            == "\(fractional): malformed file: value 1 is 0.5: expected non-negative integer labels")
    }

    @Test func labelsOutsideTheClassesAndSplits() throws {
        let data = Dataset(images: Tensor(shape: [600, 2], repeating: 1), labels: (0..<600).map { $0 % 3 })
        #expect(reason { try DataFile.checkLabels(data.labels, allowed: [0, 1], path: "y.npy") }
            == "y.npy: malformed file: sample 2 has label 2: expected one of the model's 2 class labels 0...1")
        #expect(reason { try DataFile.checkLabels(data.labels, allowed: [4, 5], path: "y.npy") }
            == "y.npy: malformed file: sample 0 has label 0: expected one of the model's 2 class labels 4,5")
        let (training, calibration, evaluation, rows) = try data.splits(bundledDigits: false)
        #expect(training.count == 600 && evaluation.count == 600 && calibration.count == 512 && rows == 0..<600)
        let digits = try Digits.load(path: digitsPath)
        let split = try digits.splits(bundledDigits: true)
        #expect(split.training.count == 1437 && split.evaluation.count == 360 && split.evaluationRows == 1437..<1797)
        #expect(try digits.splits(bundledDigits: false).evaluation.count == 1797)
    }

    /// What a forward pass allocates, checked against memory before it runs: per input, the input, every
    /// node's output and each weighted layer's unrolled inputs.
    @Test func forwardPassMemory() throws {
        let network = try randomNetwork(inputShape: [4], nodes: [Node("fc", .linear(outFeatures: 2, bias: true), inputs: ["input"]),
                                                                  Node("s", .sigmoid, inputs: ["fc"])], classes: 2, seed: 1)
        #expect(network.forwardBytes(batch: 3) == 3 * 4 * (4 + 2 + 4 + 2))
        // A grouped convolution unrolls whole patches, all 6 input channels by 3 x 3 taps per output pixel.
        let grouped = try randomNetwork(inputShape: [6, 4, 4], nodes: [
            Node("conv", .conv2d(Convolution(outChannels: 4, kernel: [3, 3], groups: 2, bias: false)), inputs: ["input"]),
            Node("flat", .flatten, inputs: ["conv"])], classes: 16, seed: 2)
        let perSample: Double = 96 + 16 + 4 * 54 + 16
        #expect(grouped.forwardBytes(batch: 2) == 2 * 4 * perSample)
    }
}
