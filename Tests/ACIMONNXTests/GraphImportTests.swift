import ACIMCore
import ACIMNetwork
import Foundation
import Testing
@testable import ACIMONNX

/// Small ONNX graphs built in place: folding of constants and pass-through operators, and what the
/// importer says about broken graphs.
struct GraphImportTests {
    func tensor(_ name: String, _ dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.floatData = values
        return t
    }

    /// A node; a Gemm takes its weight as `[out, in]` (transB 1, as PyTorch exports it).
    func node(_ op: String, _ name: String, _ inputs: [String], _ outputs: [String]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        (n.opType, n.name, n.input, n.output) = (op, name, inputs, outputs)
        if op == "Gemm" {
            var transB = Onnx_AttributeProto()
            (transB.name, transB.type, transB.i) = ("transB", .int, 1)
            n.attribute = [transB]
        }
        return n
    }

    func value(_ name: String, _ dims: [Onnx_TensorShapeProto.Dimension.OneOf_Value]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        v.type.tensorType.shape.dim = dims.map { var d = Onnx_TensorShapeProto.Dimension(); d.value = $0; return d }
        return v
    }

    /// `x [N, 4]` -> Gemm (3 outputs) -> Relu -> `y`, with the given changes.
    func model(nodes: [Onnx_NodeProto]? = nil, weight: Onnx_TensorProto? = nil,
               input: [Onnx_TensorShapeProto.Dimension.OneOf_Value] = [.dimParam("N"), .dimValue(4)]) throws -> Data {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        m.opsetImport = [opset]
        m.graph.node = nodes ?? [node("Gemm", "fc", ["x", "W", "B"], ["h"]), node("Relu", "act", ["h"], ["y"])]
        m.graph.initializer = [weight ?? tensor("W", [3, 4], (0..<12).map { Float($0) / 10 - 0.5 }), tensor("B", [3], [0.1, 0, -0.1])]
        m.graph.input = [value("x", input)]
        m.graph.output = [value("y", [.dimParam("N"), .dimValue(3)])]
        return try m.serializedBytes()
    }

    func reason(_ bytes: Data) -> String {
        do {
            _ = try ONNXImport.decode(bytes, path: "m.onnx")
            return "accepted"
        } catch let ACIMError.malformedFile(path, reason) {
            return path == "m.onnx" ? reason : "wrong path \(path)"
        } catch { return "unexpected error \(error)" }
    }

    @Test func aSmallGraphImports() throws {
        let network = try ONNXImport.decode(try model(), path: "m.onnx").network
        #expect(network.inputShape == [4] && network.classes == ["0", "1", "2"])
        #expect(network.nodes.map(\.operation) == [.linear(outFeatures: 3, bias: true), .relu])
        let y = try network.forward(Tensor(shape: [1, 4], data: [1, 2, 3, 4])).output.data
        // W row r is (4r .. 4r+3) / 10 - 0.5; plus B; then ReLU.
        let expected: [Float] = (0..<3).map { r in
            max(0, (0..<4).reduce(Float([0.1, 0, -0.1][r])) { $0 + (Float(4 * r + $1) / 10 - 0.5) * Float($1 + 1) })
        }
        for (a, b) in zip(y, expected) { #expect(abs(a - b) < 1e-6) }
    }

    /// Constant nodes, a Reshape with 0 (copy) and -1, MatMul with its bias Add folded, Dropout and Identity
    /// dropped, Softmax.
    @Test func constantsAndPassThroughsFold() throws {
        var shape = node("Constant", "shape", [], ["s"])
        var attribute = Onnx_AttributeProto()
        (attribute.name, attribute.type) = ("value", .tensor)
        attribute.t.dims = [2]
        attribute.t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        attribute.t.int64Data = [0, -1]
        shape.attribute = [attribute]
        let nodes = [shape, node("Reshape", "flat", ["x", "s"], ["f"]), node("MatMul", "fc", ["f", "M"], ["p"]),
                     node("Add", "bias", ["p", "B"], ["q"]), node("Dropout", "drop", ["q"], ["r"]), node("Identity", "same", ["r"], ["t"]),
                     node("Softmax", "probabilities", ["t"], ["y"])]
        var m = try Onnx_ModelProto(serializedBytes: try model(nodes: nodes, input: [.dimParam("N"), .dimValue(2), .dimValue(1), .dimValue(2)]))
        m.graph.initializer.append(tensor("M", [4, 3], (0..<12).map { Float($0) / 4 - 1 }))
        let network = try ONNXImport.decode(try m.serializedBytes(), path: "m.onnx").network
        #expect(network.nodes.map(\.operation) == [.reshape([-1]), .linear(outFeatures: 3, bias: true), .softmax])
        #expect(network.shapes["flat"] == [4])
        // MatMul's [4, 3] weight transposed to the layer's [3, 4].
        let transposed: [Float] = (0..<12).map { (i: Int) -> Float in Float((i % 4) * 3 + i / 4) / 4 - 1 }
        #expect(network.parameters["fc.weight"]!.data == transposed)
        #expect(network.parameters["fc.bias"]!.data == [0.1, 0, -0.1])
    }

    @Test func truncatedProtobuf() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("digits-cnn.onnx")))
        #expect(reason(bytes.prefix(bytes.count / 2)).contains("not a readable ONNX protobuf"))
        #expect(reason(try model().dropLast(3)).contains("not a readable ONNX protobuf"))
    }

    /// Files cut short or with bytes changed anywhere load or are refused with a message; none traps.
    @Test func damagedFilesAreRefusedNeverTrap() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("mixed-cnn.onnx")))
        var rng = RandomStream(seed: 17, purpose: .userInput)
        var refused = 0
        for trial in 0..<400 {
            var damaged = bytes
            if trial % 4 == 0 {
                damaged = damaged.prefix(Int(rng.next() % UInt64(bytes.count)))
            } else {
                for _ in 0..<(1 + trial % 3) {
                    damaged[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            let outcome = reason(damaged)
            #expect(outcome == "accepted" || !outcome.hasPrefix("unexpected") && !outcome.hasPrefix("wrong path"), "\(outcome)")
            if outcome != "accepted" { refused += 1 }
        }
        #expect(refused > 100)
    }

    @Test func cycle() throws {
        let nodes = [node("Add", "a", ["x", "r"], ["s"]), node("Relu", "r", ["s"], ["r"]), node("Gemm", "fc", ["s", "W", "B"], ["y"])]
        #expect(reason(try model(nodes: nodes)) == "the graph has a cycle: node \"a\" (Add) depends on its own output")
    }

    @Test func dynamicInputShape() throws {
        #expect(reason(try model(input: [.dimParam("N"), .dimParam("features")]))
            == "graph input \"x\" axis 1 is symbolic \"features\" (a dynamic input shape): expected a fixed size on every axis but the batch axis")
        #expect(reason(try model(input: [.dimValue(1), .dimValue(2), .dimValue(2)])).contains("expected [N, C, H, W] or [N, F]"))
    }

    @Test func initializerOfTheWrongSize() throws {
        #expect(reason(try model(weight: tensor("W", [3, 4], Array(repeating: 0.5, count: 11))))
            == "initializer \"W\" holds 11 values for dims [3, 4]: expected 12")
        var raw = tensor("W", [3, 4], [])
        raw.rawData = Data(count: 44)
        #expect(reason(try model(weight: raw)) == "initializer \"W\" holds 44 bytes for dims [3, 4]: expected 48 (12 values of 4 bytes)")
        #expect(reason(try model(weight: tensor("W", [3, 4], [.nan] + Array(repeating: 0, count: 11))))
            == "initializer \"W\" holds nan at element 0: expected finite numbers")
        #expect(reason(try model(weight: tensor("W", [4, 4], Array(repeating: 0, count: 16)))).contains("node \"fc\" (Gemm)"))
    }

    @Test func unsupportedOperator() throws {
        let nodes = [node("Gemm", "fc", ["x", "W", "B"], ["h"]), node("Erf", "mystery", ["h"], ["y"])]
        let message = reason(try model(nodes: nodes))
        #expect(message.hasPrefix("node \"mystery\" (Erf): unsupported operator; acim imports Conv, Gemm, MatMul, BatchNormalization"))
        #expect(ONNXImport.supportedOperators.allSatisfy { message.contains($0) })
        let shape = reason(try model(nodes: [node("Shape", "size", ["x"], ["s"]), node("Gemm", "fc", ["x", "W", "B"], ["y"])]))
        #expect(shape.hasPrefix("node \"size\" (Shape): unsupported operator (a shape computed at run time, as x.view(x.size(0), -1) "
                                + "exports: flatten with torch.flatten(x, 1) or nn.Flatten instead)"))
    }

    @Test func missingAndComputedWeights() throws {
        #expect(reason(try model(nodes: [node("Relu", "act", ["nowhere"], ["y"])]))
            == "node \"act\" (Relu) reads \"nowhere\", which no node, initializer or graph input provides")
        let computed = [node("Relu", "w", ["x"], ["h"]), node("MatMul", "fc", ["x", "h"], ["y"])]
        #expect(reason(try model(nodes: computed)).contains("node \"fc\" (MatMul) takes its weight from \"h\", which is computed"))
        let twice = [node("Gemm", "fc", ["x", "W", "B"], ["y"]), node("Relu", "again", ["x"], ["y"])]
        #expect(reason(try model(nodes: twice)) == "node \"again\" (Relu) writes \"y\", which another node, an initializer or the graph input already provides")
        let dangling = [node("Gemm", "fc", ["x", "W", "B"], ["y"]), node("Relu", "extra", ["y"], ["z"])]
        #expect(reason(try model(nodes: dangling)).contains("is not the per-sample feature vector [F] of the last node"))
    }
}

/// ONNX `auto_pad` SAME_UPPER and SAME_LOWER as `Convolution.samePadding` gives them; other modes refused.
struct AutoPadImportTests {
    let graph = GraphImportTests()

    /// `x [N, 1, 5, 6]` -> Conv (2 outputs, 2 x 2 kernel, stride 2, the given auto_pad) -> Flatten -> `y [N, 18]`.
    func conv(autoPad: String) throws -> Data {
        var conv = graph.node("Conv", "conv", ["x", "W"], ["h"])
        var pad = Onnx_AttributeProto(), strides = Onnx_AttributeProto()
        (pad.name, pad.type, pad.s) = ("auto_pad", .string, Data(autoPad.utf8))
        (strides.name, strides.type, strides.ints) = ("strides", .ints, [2, 2])
        conv.attribute = [pad, strides]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph.node = [conv, graph.node("Flatten", "flat", ["h"], ["y"])]
        model.graph.initializer = [graph.tensor("W", [2, 1, 2, 2], (0..<8).map { Float($0) / 8 })]
        model.graph.input = [graph.value("x", [.dimParam("N"), .dimValue(1), .dimValue(5), .dimValue(6)])]
        model.graph.output = [graph.value("y", [.dimParam("N"), .dimValue(18)])]
        return try model.serializedBytes()
    }

    @Test func samePaddingPutsTheOddPixelWhereTheModeSays() throws {
        // Height 5 at stride 2: 3 outputs need 1 pixel of padding; width 6 needs none.
        for (mode, padding) in [("SAME_UPPER", [0, 0, 1, 0]), ("SAME_LOWER", [1, 0, 0, 0])] {
            let network = try ONNXImport.decode(try conv(autoPad: mode), path: "m.onnx").network
            #expect(network.nodes[0].operation == .conv2d(Convolution(outChannels: 2, kernel: [2, 2], stride: [2, 2], padding: padding,
                                                                       bias: false)), "\(mode)")
        }
        #expect(graph.reason(try conv(autoPad: "SAME_MIDDLE"))
            == "node \"conv\" (Conv) has auto_pad \"SAME_MIDDLE\": expected NOTSET, VALID, SAME_UPPER or SAME_LOWER")
    }
}
