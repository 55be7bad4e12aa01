import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

/// Strict loading: every key a model file's graph carries is one its place allows, every tensor is used,
/// and each refusal names the node (index, name, op) or the tensor, the key, and what was expected.
extension ModelFileTests {
    /// The index and name of the first node of `op` in a graph.
    func first(_ op: String, in graph: [String: Any]) -> (index: Int, name: String) {
        let nodes = graph["nodes"] as! [[String: Any]]
        let index = nodes.firstIndex { $0["op"] as? String == op }!
        return (index, nodes[index]["name"] as! String)
    }

    /// The refusal of the random network's file with `value` set at `key` of its first `op` node.
    func nodeKey(_ op: String, _ key: String, _ value: Any?) throws -> (reason: String, place: String) {
        var place = ""
        let bytes = try edited { graph, _ in
            let (index, name) = first(op, in: graph)
            place = "node \(index) (\(name), \(op))"
            var nodes = graph["nodes"] as! [[String: Any]]
            nodes[index][key] = value
            graph["nodes"] = nodes
        }
        return (reason(bytes), place)
    }

    @Test func unknownNodeKeysAreRejected() throws {
        let conv = "conv2d takes name, op, inputs, out_channels, kernel, stride, padding, dilation, groups, bias"
        for (key, value) in [("padding_mode", "reflect"), ("foo", 1)] as [(String, Any)] {
            let (reason, place) = try nodeKey("conv2d", key, value)
            #expect(reason == "\(place): unknown key \"\(key)\": \(conv)", "\(key)")
        }
        let (misspelled, place) = try nodeKey("conv2d", "paddding", 1)
        #expect(misspelled == "\(place): unknown key \"paddding\" (did you mean \"padding\"?): \(conv)")
        for key in ["padding", "ceil_mode"] {
            let (reason, pool) = try nodeKey("maxpool", key, 1)
            #expect(reason == "\(pool): unknown key \"\(key)\": maxpool takes name, op, inputs, kernel, stride", "\(key)")
        }
        let (relu, reluPlace) = try nodeKey("relu", "inplace", true)
        #expect(relu == "\(reluPlace): unknown key \"inplace\": relu takes name, op, inputs")
    }

    @Test func unknownKeysElsewhereAreRejected() throws {
        #expect(reason(try edited { g, _ in g["foo"] = 1 })
            == "the graph: unknown key \"foo\": expected only format, version, input_shape, classes, preprocessing, nodes, subtasks, notes")
        #expect(reason(try edited { g, _ in g["clases"] = [] })
            .hasPrefix("the graph: unknown key \"clases\" (did you mean \"classes\"?)"))
        #expect(reason(try edited { g, _ in g["preprocessing"] = ["scale": [1], "offset": [0], "mean": [0]] })
            == "\"preprocessing\": unknown key \"mean\": expected only scale, offset")
        #expect(reason(try edited { g, _ in
            var subtasks = g["subtasks"] as! [String: Any]
            var sites = subtasks["sites"] as! [[String: Any]]
            sites[1]["scale"] = true
            subtasks["sites"] = sites
            g["subtasks"] = subtasks
        }) == "subtasks site 1: unknown key \"scale\" (did you mean \"scaled\"?): expected only filters, gate, scaled, tie")
        var contents = try SafeTensors.decode(try edited { _, _ in }, path: "m")
        contents.metadata["acimsim.grpah"] = "{}"
        #expect(reason(try SafeTensors.encode(contents))
            == "__metadata__ key \"acimsim.grpah\" is unknown: expected only \"acimsim.graph\" among acimsim.* keys")
    }

    @Test func missingRequiredKeysAreNamed() throws {
        #expect(reason(try edited { g, _ in g["format"] = nil }) == "the graph's \"format\" is null (or missing): expected \"acimsim.network\"")
        #expect(reason(try edited { g, _ in g["format"] = "onnx" }) == "the graph's \"format\" is \"onnx\": expected \"acimsim.network\"")
        #expect(reason(try edited { g, _ in g["version"] = nil }) == "the graph's \"version\" is null (or missing): expected 1")
        #expect(reason(try edited { g, _ in g["version"] = 2 }) == "the graph's \"version\" is 2: expected 1")
        #expect(reason(try edited { g, _ in g["preprocessing"] = nil }) == "the graph: missing required key \"preprocessing\"")
        #expect(reason(try edited { g, _ in g["preprocessing"] = ["scale": [1]] }) == "\"preprocessing\": missing required key \"offset\"")
        let (kernel, place) = try nodeKey("conv2d", "kernel", nil)
        #expect(kernel == "\(place): missing required key \"kernel\"")
        let graph = try JSONSerialization.jsonObject(with: Data(SafeTensors.decode(try edited { _, _ in }, path: "m")
            .metadata[ModelFile.metadataKey]!.utf8)) as! [String: Any]
        #expect(try nodeKey("linear", "name", nil).reason
            == "node \(first("linear", in: graph).index) (unnamed, linear): missing required key \"name\"")
    }

    @Test func wrongValueTypesNameTheNodeAndKey() throws {
        let (bias, place) = try nodeKey("conv2d", "bias", "yes")
        #expect(bias == "\(place) key \"bias\": expected true or false, got \"yes\"")
        let (kernel, _) = try nodeKey("conv2d", "kernel", 2.5)
        #expect(kernel == "\(place) key \"kernel\": got 2.5, which does not fit its type")
        #expect(try nodeKey("batchnorm", "eps", 1e300).reason.hasSuffix("key \"eps\": got 1e+300, which does not fit its type"))
        let (inputs, _) = try nodeKey("conv2d", "inputs", "input")
        #expect(inputs == "\(place) key \"inputs\": expected a list, got \"input\"")
        #expect(reason(try edited { g, _ in g["preprocessing"] = ["scale": ["x"], "offset": [0]] })
            == "the graph's \"preprocessing.scale[0]\": expected a number, got \"x\"")
    }

    /// `padding: "same"` is the padding that keeps the size (stride 1); anything else is refused
    /// with the reason, never a decoding error.
    @Test func samePaddingResolvesOrIsRefusedClearly() throws {
        var place = ""
        let same = try edited { graph, _ in
            let (index, name) = first("conv2d", in: graph)
            place = "node \(index) (\(name), conv2d)"
            var nodes = graph["nodes"] as! [[String: Any]]
            #expect(nodes[index]["kernel"] as? Int == 3 && nodes[index]["padding"] as? Int == 1)
            nodes[index]["padding"] = "same"
            graph["nodes"] = nodes
        }
        let resolved = try ModelFile.decode(same, path: "m")
        #expect(resolved.network.nodes == (try randomSubtaskNetwork(seed: 22)).base.nodes)
        let strided = try edited { graph, _ in
            var nodes = graph["nodes"] as! [[String: Any]]
            let index = first("conv2d", in: graph).index
            (nodes[index]["padding"], nodes[index]["stride"]) = ("same", 2)
            graph["nodes"] = nodes
        }
        #expect(reason(strided) == "\(place): padding \"same\" needs stride 1 and a kernel (and dilation) of positive sizes, "
                + "got kernel 3 and stride 2: give the padding as numbers")
        // Rectangular and even kernels with dilation pad as PyTorch does, the odd pixel at the bottom and right.
        let rectangular = try edited { graph, _ in
            var nodes = graph["nodes"] as! [[String: Any]]
            let index = first("conv2d", in: graph).index
            (nodes[index]["padding"], nodes[index]["kernel"], nodes[index]["dilation"]) = ("same", [3, 4], [1, 2])
            graph["nodes"] = nodes
        }
        let conv = try #require(try GraphSchema.decode(Data(SafeTensors.decode(rectangular, path: "m").metadata[ModelFile.metadataKey]!.utf8))
            .nodes.first { $0.op == "conv2d" })
        #expect(try conv.convolution(outChannels: 1, kernel: conv.kernel!).padding == [1, 3, 1, 3])
        let (full, _) = try nodeKey("conv2d", "padding", "full")
        #expect(full == "\(place): key \"padding\" is \"full\": expected an integer, \"same\" or \"valid\"")
        let (valid, _) = try nodeKey("conv2d", "padding", "valid")
        #expect(valid.contains("shape mismatch"))  // padding 0 shrinks the image: the next layers no longer fit
    }

    @Test func strayTensorsAndWrongDtypesAreRejected() throws {
        #expect(reason(try edited { _, t in t["san.utility.7.conv1"] = Tensor(shape: [4], repeating: 1) })
            == "tensor \"san.utility.7.conv1\" is used by no node or mask site")
        #expect(reason(try edited { _, t in t["num_batches_tracked"] = Tensor(shape: [1], repeating: 0) })
            == "inconsistent parameters: tensor \"num_batches_tracked\" belongs to no node")
        let plain = try SafeTensors.decode(try ModelFile.encode(Model(network: try randomSubtaskNetwork(seed: 22).base)), path: "m")
        var masked = plain
        masked.tensors["san.scaling.0.conv1"] = Tensor(shape: [4], repeating: 1)
        #expect(reason(try SafeTensors.encode(masked)) == "tensor \"san.scaling.0.conv1\" is used by no node or mask site (the graph has no \"subtasks\")")
        for dtype in ["F64", "F16", "BF16", "I64"] {
            #expect(reason(try file(["w": ["dtype": dtype, "shape": [1], "data_offsets": [0, 8]]], data: Data(count: 8)))
                == "tensor \"w\" has dtype \(dtype): expected F32", "\(dtype)")
        }
    }

    @Test func preprocessingRoundTripsAndIsChecked() throws {
        let base = try randomSubtaskNetwork(seed: 22).base
        let declared = Preprocessing(scale: [0.5], offset: [-0.25])
        let back = try ModelFile.decode(try ModelFile.encode(Model(network: base, preprocessing: declared)), path: "m")
        #expect(back.preprocessing == declared)
        #expect(reason(try edited { g, _ in g["preprocessing"] = ["scale": [1, 2], "offset": [0]] })
            == "\"preprocessing\": invalid preprocessing scale = 2 entries: expected 1 or 1 (one per channel of the input shape [1, 8, 8])")
        #expect(reason(try edited { g, _ in g["preprocessing"] = ["scale": [0], "offset": [0]] })
            == "\"preprocessing\": invalid preprocessing scale[0] = 0.0: expected a finite non-zero number")
    }

    /// Scale and offset per channel (the first axis of each sample), or one for every channel.
    @Test func preprocessingAppliesPerChannel() {
        let raw = Tensor(shape: [2, 2, 1, 2], data: [1, 2, 3, 4, 5, 6, 7, 8])
        let perChannel = Preprocessing(scale: [2, 10], offset: [1, -1]).apply(to: raw)
        #expect(perChannel.data == [3, 5, 29, 39, 11, 13, 69, 79])
        #expect(Preprocessing(scale: [0.5], offset: [1]).apply(to: raw).data == [1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5])
        #expect(Preprocessing.identity.apply(to: raw) == raw)
        // The digits' 1/16 is exact: the same floats as dividing by 16.
        let pixels = Tensor(shape: [17, 1], data: (0...16).map(Float.init))
        #expect(Digits.preprocessing.apply(to: pixels).data == (0...16).map { Float($0) / 16 })
    }
}

extension ModelFileTests {
    /// Every op, with every key it takes, is written and read back: the per-op key table admits what the
    /// encoder writes.
    @Test func everyOpRoundTripsThroughTheStrictReader() throws {
        let nodes = [
            Node("c1", .conv2d(outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: true), inputs: ["input"]),
            Node("bn", .batchNorm(epsilon: 1e-3), inputs: ["c1"]),
            Node("r", .relu, inputs: ["bn"]),
            Node("c2", .conv2d(outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: false), inputs: ["r"]),
            Node("sum", .add, inputs: ["r", "c2"]),
            Node("mp", .maxPool(kernel: 2, stride: 2), inputs: ["sum"]),
            Node("ap", .avgPool(kernel: 2, stride: 1), inputs: ["mp"]),
            Node("s", .sigmoid, inputs: ["ap"]),
            Node("rs", .reshape([4, 9]), inputs: ["s"]),
            Node("f", .flatten, inputs: ["rs"]),
            Node("fc", .linear(outFeatures: 3, bias: true), inputs: ["f"]),
            Node("p", .softmax, inputs: ["fc"]),
        ]
        let network = try randomNetwork(inputShape: [2, 8, 8], nodes: nodes, classes: 3, seed: 5)
        let back = try ModelFile.decode(try ModelFile.encode(Model(network: network, preprocessing: Preprocessing(scale: [2, 3], offset: [0, 1]))), path: "m")
        #expect(back.network.nodes == nodes)
        #expect(back.network.parameters == network.parameters)
        #expect(back.preprocessing == Preprocessing(scale: [2, 3], offset: [0, 1]))
    }
}
