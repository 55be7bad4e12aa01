import ACIMCore
import Foundation
import Testing
@testable import ACIMNetwork

struct ModelFileTests {
    /// The file bytes of a header JSON object and `data` bytes.
    func file(_ header: [String: Any], data: Data = Data()) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header)
        var bytes = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + json + data
    }

    func reason(_ bytes: Data) -> String {
        do {
            _ = try ModelFile.decode(bytes, path: "m.safetensors")
            return "accepted"
        } catch let ACIMError.malformedFile(path, reason) {
            return path == "m.safetensors" ? reason : "wrong path \(path)"
        } catch { return "unexpected error \(error)" }
    }

    @Test func subtaskNetworkRoundTrips() throws {
        let san = try randomSubtaskNetwork(seed: 21)
        let model = Model(subtaskNetwork: san, notes: ["seed": "21"])
        let restored = try ModelFile.decode(try ModelFile.encode(model), path: "m")
        let back = try #require(restored.subtaskNetwork)
        #expect(back.base.parameters == san.base.parameters)
        #expect(back.base.nodes == san.base.nodes)
        #expect(back.sites == san.sites)
        #expect(back.basicSubtasks == san.basicSubtasks)
        #expect(back.scaling == san.scaling)
        #expect(back.utilityParameters == san.utilityParameters.map { $0.map { $0.map(abs) } })
        #expect(try back.masks(for: Subtask([0, 2])).gates == san.masks(for: Subtask([0, 2])).gates)
        #expect(restored.notes == ["seed": "21"])
    }

    @Test func malformedContainersAreRejected() throws {
        #expect(reason(Data([1, 2, 3])).contains("at least the 8-byte header length"))
        var huge = Data()
        withUnsafeBytes(of: UInt64(1000).littleEndian) { huge.append(contentsOf: $0) }
        #expect(reason(huge + Data("{}".utf8)).contains("truncated"))
        #expect(reason(try file(["a": 1]).dropLast(0)).contains("expected an object"))
        var notJSON = Data()
        withUnsafeBytes(of: UInt64(3).littleEndian) { notJSON.append(contentsOf: $0) }
        #expect(reason(notJSON + Data("{x]".utf8)).contains("not a JSON object"))
        #expect(reason(try file(["w": ["dtype": "F16", "shape": [2], "data_offsets": [0, 4]]], data: Data(count: 4))).contains("expected F32"))
        #expect(reason(try file(["w": ["dtype": "F32", "shape": [4], "data_offsets": [0, 16]]], data: Data(count: 8))).contains("truncated"))
        #expect(reason(try file(["w": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]], data: Data(count: 8))).contains("expected 12"))
        #expect(reason(try file(["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]], data: Data(count: 8))).contains("acimsim.graph"))
        #expect(reason(try file(["w": ["dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]]], data: Data(count: 8)))
            .contains("too large"))
    }

    @Test func nonFiniteTensorsAndOtherFilesAreRejected() throws {
        #expect(reason(Data("# a README, not a model\n".utf8)) == "not a safetensors file: expected an 8-byte header length, then a JSON header")
        var contents = try SafeTensors.decode(try ModelFile.encode(Model(subtaskNetwork: try randomSubtaskNetwork(seed: 23))), path: "m")
        var weight = try #require(contents.tensors["conv1.weight"])
        for value in [Float.nan, .infinity] {
            weight.data[3] = value
            contents.tensors["conv1.weight"] = weight
            #expect(reason(try SafeTensors.encode(contents)) == "tensor \"conv1.weight\" holds \(value) at element 3: expected finite numbers")
        }
    }

    /// The file bytes of a random subtask-adaptive network with its graph and tensors edited.
    func edited(_ edit: (inout [String: Any], inout [String: Tensor]) -> Void) throws -> Data {
        var contents = try SafeTensors.decode(try ModelFile.encode(Model(subtaskNetwork: try randomSubtaskNetwork(seed: 22))), path: "m")
        var graph = try JSONSerialization.jsonObject(with: Data(contents.metadata[ModelFile.metadataKey]!.utf8)) as! [String: Any]
        edit(&graph, &contents.tensors)
        contents.metadata[ModelFile.metadataKey] = String(decoding: try JSONSerialization.data(withJSONObject: graph), as: UTF8.self)
        return try SafeTensors.encode(contents)
    }

    @Test func inconsistentGraphsAreRejected() throws {
        #expect(reason(try edited { _, t in t["conv2.weight"] = Tensor(shape: [6, 3, 3, 3], repeating: 0) })
            .contains("tensor \"conv2.weight\" has shape [6, 3, 3, 3]: expected [6, 4, 3, 3]"))
        #expect(reason(try edited { _, t in t["bn1.bias"] = nil }).contains("needs tensor \"bn1.bias\""))
        #expect(reason(try edited { _, t in t["extra"] = Tensor(shape: [1], repeating: 0) }).contains("\"extra\" belongs to no node"))
        #expect(reason(try edited { _, t in t["san.utility.1.conv2"] = nil }).contains("missing mask tensor \"san.utility.1.conv2\""))
        #expect(reason(try edited { g, _ in g["classes"] = ["a", "b"] }).contains("expected [2]"))
        #expect(reason(try edited { g, _ in g["input_shape"] = nil }).contains("the graph: missing required key \"input_shape\""))
        #expect(reason(try edited { g, _ in g["input_shape"] = [1 << 40, 1 << 40] }).contains("at most 2^30"))
        #expect(reason(try edited { g, _ in
            var nodes = g["nodes"] as! [[String: Any]]
            nodes[0]["padding"] = Int.max
            g["nodes"] = nodes
        }).contains("padding"))
        #expect(reason(try edited { g, _ in
            var nodes = g["nodes"] as! [[String: Any]]
            nodes[0]["op"] = "conv3d"
            g["nodes"] = nodes
        }).contains("conv3d"))
        #expect(reason(try edited { g, _ in
            var nodes = g["nodes"] as! [[String: Any]]
            nodes[1]["inputs"] = ["nowhere"]
            g["nodes"] = nodes
        }).contains("reads \"nowhere\""))
        #expect(reason(try edited { g, _ in
            var subtasks = g["subtasks"] as! [String: Any]
            subtasks["basic"] = [[0], [0, 1], [3]]
            g["subtasks"] = subtasks
        }).contains("overlap"))
    }

    /// A reshape to `[]` left the next node without a channel axis, and batch norm indexed it and trapped.
    @Test func reshapeToNoAxesIsAnError() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try Data(contentsOf: root.appendingPathComponent("Fuzz/corpus/model/regress-reshape-empty.safetensors"))
        #expect(reason(bytes) == "shape mismatch: node r (reshape) gets input [1]: expected a non-empty shape with the same element count as []")
    }

    /// Padded convolutions grow the image without growing the file: a hundred of them overflowed `Int` in the
    /// element count of the flattened output and trapped. Now the first output past 2^30 elements is the error.
    @Test func outputsBeyondTwoToTheThirtyElementsAreAnError() throws {
        let convs = (0..<100).map { i -> [String: Any] in
            ["name": "c\(i)", "op": "conv2d", "inputs": [i == 0 ? "input" : "c\(i - 1)"], "out_channels": 1, "kernel": 1,
             "padding": 1 << 24, "bias": false]
        }
        let graph: [String: Any] = ["format": ModelFile.formatName, "version": 1, "input_shape": [1, 1, 1], "classes": ["a"],
                                    "preprocessing": ["scale": [1], "offset": [0]], "nodes": convs + [["name": "f", "op": "flatten", "inputs": ["c99"]]]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: graph), as: UTF8.self)
        let weights = Dictionary(uniqueKeysWithValues: (0..<100).map { ("c\($0).weight", Tensor(shape: [1, 1, 1, 1], data: [1])) })
        let bytes = try SafeTensors.encode(.init(tensors: weights, metadata: [ModelFile.metadataKey: json]))
        #expect(reason(bytes) == "shape mismatch: node c0 (conv2d) has output shape [1, 33554433, 33554433]: expected at most 2^30 elements")
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ACIMError.self) { try ModelFile.load(path: "/nonexistent/model.safetensors") }
    }
}
