import ACIMCore
import Foundation

/// Strict reading of a model file's graph JSON: the format and version first, then every object's keys
/// against the keys its place allows (a node's against its op's, `GraphDocument.NodeEntry.keys`), a string
/// `padding` resolved, then the typed decoding. Every failure names the node (index, name, op) or the place,
/// the key, and what was expected.
enum GraphSchema {
    struct Failure: Error {
        let message: String
    }

    /// The keys an object may carry: required, then optional.
    struct Keys {
        let required: [String]
        let optional: [String]

        static let none = Keys(required: [], optional: [])
    }

    static let document = Keys(required: ["format", "version", "input_shape", "classes", "preprocessing", "nodes"],
                               optional: ["subtasks", "notes"])
    static let preprocessing = Keys(required: ["scale", "offset"], optional: [])
    static let subtasks = Keys(required: ["basic", "threshold", "beta", "sites"], optional: [])
    static let site = Keys(required: ["filters", "gate", "scaled"], optional: ["tie"])
    /// Keys every node carries.
    static let node = ["name", "op", "inputs"]

    static func decode(_ json: Data) throws -> GraphDocument {
        guard let object = try? JSONSerialization.jsonObject(with: json), var top = object as? [String: Any] else {
            throw Failure(message: "the graph is not a JSON object")
        }
        let format = top["format"], version = top["version"]
        guard format as? String == ModelFile.formatName else {
            throw Failure(message: "the graph's \"format\" is \(shown(format)): expected \"\(ModelFile.formatName)\"")
        }
        guard (version as? NSNumber).map({ $0.doubleValue == Double(ModelFile.formatVersion) }) == true else {
            throw Failure(message: "the graph's \"version\" is \(shown(version)): expected \(ModelFile.formatVersion)")
        }
        try check(top, document, at: "the graph")
        try check(top["preprocessing"], preprocessing, at: "\"preprocessing\"")
        if let san = top["subtasks"] {
            try check(san, subtasks, at: "\"subtasks\"")
            for (j, entry) in ((san as? [String: Any])?["sites"] as? [Any] ?? []).enumerated() {
                try check(entry, site, at: "subtasks site \(j)")
            }
        }
        guard var nodes = top["nodes"] as? [Any] else { throw Failure(message: "the graph's \"nodes\": expected a list of node objects") }
        var resolved = false
        for i in nodes.indices {
            guard var entry = nodes[i] as? [String: Any] else { throw Failure(message: "node \(i): expected an object") }
            let place = nodePlace(i, in: top)
            guard let op = entry["op"] as? String else { throw Failure(message: "\(place): expected \"op\" as a string") }
            guard let keys = GraphDocument.NodeEntry.keys[op] else {
                let ops = GraphDocument.NodeEntry.keys.keys.sorted()
                throw Failure(message: "\(place): unknown op \"\(op)\"\(suggestion(op, ops)): expected one of \(ops.joined(separator: ", "))")
            }
            try check(entry, Keys(required: node + keys.required, optional: keys.optional), at: place, what: "\(op) takes")
            if let text = entry["padding"] as? String {
                entry["padding"] = try padding(text, of: entry, at: place)
                nodes[i] = entry
                resolved = true
            }
        }
        var data = json
        if resolved {
            top["nodes"] = nodes
            data = try JSONSerialization.data(withJSONObject: top)
        }
        do { return try JSONDecoder().decode(GraphDocument.self, from: data) } catch let DecodingError.typeMismatch(type, context),
                                                                                    let DecodingError.valueNotFound(type, context) {
            throw Failure(message: "\(place(of: context.codingPath, in: top)): expected \(describe(type)), got \(shown(value(at: context.codingPath, in: top)))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw Failure(message: "\(place(of: context.codingPath, in: top)): missing required key \"\(key.stringValue)\"")
        } catch {
            // A number that does not fit its type (a fraction for an integer, beyond Float32) comes without a
            // path: each node key is tried alone to find it.
            for (i, entry) in nodes.enumerated() {
                for (key, value) in ((entry as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
                    var probe: [String: Any] = ["name": "", "op": "", "inputs": [String]()]
                    probe[key] = value
                    guard let json = try? JSONSerialization.data(withJSONObject: probe),
                          (try? JSONDecoder().decode(GraphDocument.NodeEntry.self, from: json)) == nil else { continue }
                    throw Failure(message: "\(nodePlace(i, in: top)) key \"\(key)\": got \(shown(value)), which does not fit its type")
                }
            }
            throw Failure(message: "the graph: a number does not fit its key's type (a fraction for an integer, or beyond Float32)")
        }
    }

    /// Throws unless `object` is a JSON object with every required key and no key outside `keys`.
    static func check(_ object: Any?, _ keys: Keys, at place: String, what: String = "expected only") throws {
        guard let object = object as? [String: Any] else { throw Failure(message: "\(place): expected a JSON object, got \(shown(object))") }
        if let missing = keys.required.first(where: { object[$0] == nil }) {
            throw Failure(message: "\(place): missing required key \"\(missing)\"")
        }
        let allowed = keys.required + keys.optional
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Failure(message: "\(place): unknown key \"\(unknown)\"\(suggestion(unknown, allowed)): \(what) "
                          + allowed.joined(separator: ", "))
        }
    }

    /// A string `padding`: "valid" is 0; "same" keeps the image size at stride 1, as PyTorch pads it
    /// (`Convolution.samePadding`: one integer when every side gets the same, else `[top, left, bottom, right]`).
    static func padding(_ text: String, of entry: [String: Any], at place: String) throws -> Any {
        switch text {
        case "valid": return 0
        case "same":
            /// An integer or `[height, width]` as a pair (`fallback` when absent).
            func pair(_ value: Any?, _ fallback: Int) -> [Int]? {
                guard let value else { return [fallback, fallback] }
                if let single = value as? Int { return [single, single] }
                return (value as? [Int]).flatMap { $0.count == 2 ? $0 : nil }
            }
            let stride = entry["stride"] ?? 1
            guard let kernel = pair(entry["kernel"], 0), kernel.allSatisfy({ $0 > 0 }), pair(stride, 1) == [1, 1],
                  let dilation = pair(entry["dilation"], 1), dilation.allSatisfy({ $0 > 0 }) else {
                throw Failure(message: "\(place): padding \"same\" needs stride 1 and a kernel (and dilation) of positive sizes, "
                              + "got kernel \(shown(entry["kernel"])) and stride \(shown(stride)): give the padding as numbers")
            }
            let sides = Convolution.samePadding(kernel: kernel, dilation: dilation)
            return Set(sides).count == 1 ? sides[0] : sides
        default:
            throw Failure(message: "\(place): key \"padding\" is \(shown(text)): expected an integer, \"same\" or \"valid\"")
        }
    }

    /// "node 3 (conv2, conv2d)".
    static func nodePlace(_ index: Int, in top: [String: Any]) -> String {
        let entry = (top["nodes"] as? [Any])?[index] as? [String: Any]
        return "node \(index) (\((entry?["name"] as? String) ?? "unnamed"), \((entry?["op"] as? String) ?? "no op"))"
    }

    /// Where a coding path points: a node's key by the node, else the dotted path.
    static func place(of path: [CodingKey], in top: [String: Any]) -> String {
        if path.count >= 2, path[0].stringValue == "nodes", let index = path[1].intValue {
            let rest = path.dropFirst(2).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined()
            return nodePlace(index, in: top) + (rest.isEmpty ? "" : " key \"\(rest)\"")
        }
        return path.isEmpty ? "the graph" : "the graph's \"" + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            .joined().drop { $0 == "." } + "\""
    }

    /// The JSON value at a coding path.
    static func value(at path: [CodingKey], in top: [String: Any]) -> Any? {
        var current: Any? = top
        for key in path {
            if let index = key.intValue, let list = current as? [Any] {
                current = list.indices.contains(index) ? list[index] : nil
            } else {
                current = (current as? [String: Any])?[key.stringValue]
            }
        }
        return current
    }

    /// A JSON value as the file spells it, briefly.
    static func shown(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null (or missing)" }
        if let text = value as? String { return "\"\(text)\"" }
        if let list = value as? [Any] { return "a list of \(list.count)" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
    }

    static func describe(_ type: Any.Type) -> String {
        let name = "\(type)"
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        if name.contains("Int") { return "an integer" }
        if name.contains("Float") || name.contains("Double") { return "a number" }
        if name.contains("Bool") { return "true or false" }
        if name.contains("String") { return "a string" }
        return name
    }

    static func suggestion(_ name: String, _ candidates: [String]) -> String {
        Spelling.nearest(name, among: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }
}
