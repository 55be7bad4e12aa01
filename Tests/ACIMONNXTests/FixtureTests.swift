import ACIMCore
import ACIMNetwork
import Foundation
import Testing
@testable import ACIMONNX

/// The folder of the ONNX fixtures that PyTorch made (Fixtures/make_onnx_fixtures.py).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// The models PyTorch exported, run by acim's float executor against PyTorch's logits.
struct FixtureTests {
    @Test(arguments: ["digits-cnn", "mixed-cnn", "resnet20"])
    func logitsMatchPyTorch(name: String) throws {
        let model = try ONNXImport.load(path: fixture("\(name).onnx"))
        let inputs = try NPYArray.read(path: fixture("\(name)-inputs.npy"))
        let expected = try NPYArray.read(path: fixture("\(name)-logits.npy"))
        #expect(Array(inputs.shape.dropFirst()) == model.network.inputShape)
        #expect(expected.shape == [inputs.shape[0], model.network.classes.count])
        let logits = try model.network.forward(Tensor(shape: inputs.shape, data: inputs.values.map { Float($0) })).output
        #expect(logits.shape == expected.shape)
        // Relative to the largest logit of the sample.
        for n in 0..<expected.shape[0] {
            let row = (n * expected.shape[1])..<((n + 1) * expected.shape[1])
            let scale = expected.values[row].map(abs).max()!
            for i in row {
                #expect(abs(Double(logits.data[i]) - expected.values[i]) <= 1e-4 * scale, "\(name) sample \(n) logit \(i - row.lowerBound)")
            }
        }
    }

    @Test func operatorsMapToTheirLayers() throws {
        let mixed = try ONNXImport.load(path: fixture("mixed-cnn.onnx")).network
        let kinds = Set(mixed.nodes.map(\.operation.kind))
        #expect(kinds.isSuperset(of: ["conv2d", "leaky_relu", "tanh", "add", "batchnorm", "mul", "sigmoid", "concat", "gelu", "avgpool",
                                      "global_avgpool", "reshape", "linear"]))
        let convs = mixed.nodes.compactMap { if case let .conv2d(conv) = $0.operation { conv } else { nil } }
        #expect(convs.contains { $0.kernel == [3, 5] && $0.stride == [1, 2] && $0.padding == [1, 2, 1, 2] })
        #expect(convs.contains { $0.groups == 8 && $0.dilation == [2, 2] && !$0.bias })
        let resnet = try ONNXImport.load(path: fixture("resnet20.onnx")).network
        #expect(resnet.nodes.filter { $0.operation.isWeighted }.count == 22)
        #expect(resnet.nodes.filter { $0.operation == .add }.count == 9)
        #expect(resnet.inputShape == [3, 32, 32] && resnet.classes.count == 10)
    }
}
