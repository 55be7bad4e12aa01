import ACIMNetwork

/// The mapping of each supported ONNX operator to IR nodes.
extension GraphImporter {
    mutating func importNode(_ node: Onnx_NodeProto) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw unsupported(node, domain: node.domain) }
        guard let output = node.output.first, !output.isEmpty else { throw ONNXError("\(describe(node)) has no output") }
        let needed = Self.requiredInputs[node.opType] ?? 1
        if ONNXImport.supportedOperators.contains(node.opType), node.input.count < needed {
            throw ONNXError("\(describe(node)) has \(node.input.count) inputs: expected at least \(needed)")
        }
        switch node.opType {
        case "Constant": constants[output] = try constantValue(node)
        case "Identity", "Dropout":
            if node.opType == "Dropout", node.output.count > 1, readers[node.output[1], default: 0] > 0 {
                throw ONNXError("\(describe(node)): its mask output is read; acim drops Dropout at inference")
            }
            if let constant = constants[node.input[0]] { constants[output] = constant } else { activations[output] = try activation(node.input[0], of: node) }
        case "Conv": try importConv(node)
        case "Gemm", "MatMul": try importLinear(node)
        case "BatchNormalization": try importBatchNorm(node)
        case "Relu": try unary(node, .relu)
        case "LeakyRelu": try unary(node, .leakyRelu(slope: try float(node, "alpha") ?? 0.01))
        case "Sigmoid": try unary(node, .sigmoid)
        case "Tanh": try unary(node, .tanh)
        case "Gelu":
            guard try string(node, "approximate") ?? "none" == "none" else {
                throw ONNXError("\(describe(node)) uses the tanh approximation: acim computes the exact GELU (approximate \"none\")")
            }
            try unary(node, .gelu)
        case "Softmax":
            let axis = try int(node, "axis") ?? (opset < 13 ? 1 : -1)
            guard axis == 1 || axis == -1 else { throw ONNXError("\(describe(node)) has axis \(axis): expected the feature axis of [N, F] (1 or -1)") }
            try unary(node, .softmax)
        case "MaxPool", "AveragePool": try importPool(node)
        case "GlobalAveragePool": try unary(node, .globalAvgPool)
        case "ReduceMean": try importReduceMean(node)
        case "Flatten":
            let input = try activation(node.input[0], of: node)
            let rank = shapes[input]!.count + 1, axis = try int(node, "axis") ?? 1
            guard axis == 1 || axis == 1 - rank else { throw ONNXError("\(describe(node)) has axis \(axis): expected 1 (keep the batch axis)") }
            if shapes[input]!.count == 1 { activations[output] = input } else { try unary(node, .flatten) }
        case "Reshape": try importReshape(node)
        case "Add", "Mul": try importElementwise(node)
        case "Concat":
            let inputs = try node.input.map { try activation($0, of: node) }
            let rank = shapes[inputs[0]]!.count + 1, axis = try int(node, "axis") ?? 1
            guard axis == 1 || axis == 1 - rank else { throw ONNXError("\(describe(node)) has axis \(axis): expected 1 (channels or features)") }
            let name = irName(node)
            try append(Node(name, .concat, inputs: inputs), for: node)
            activations[output] = name
        default:
            throw unsupported(node, domain: nil)
        }
    }

    /// Inputs each operator needs at least (1 for those not listed).
    private static let requiredInputs = ["Constant": 0, "Conv": 2, "Gemm": 2, "MatMul": 2, "Reshape": 2, "Add": 2, "Mul": 2,
                                         "BatchNormalization": 5]

    private func unsupported(_ node: Onnx_NodeProto, domain: String?) -> ONNXError {
        let what = domain.map { "operator domain \"\($0)\"" } ?? "operator"
        // A Shape node is what `x.view(x.size(0), -1)` exports to with a dynamic batch axis.
        let hint = node.opType == "Shape" ? " (a shape computed at run time, as x.view(x.size(0), -1) exports: "
            + "flatten with torch.flatten(x, 1) or nn.Flatten instead)" : ""
        return ONNXError("\(describe(node)): unsupported \(what)\(hint); acim imports \(ONNXImport.supportedOperators.joined(separator: ", "))")
    }

    /// A one-input IR node reading the node's first input.
    private mutating func unary(_ node: Onnx_NodeProto, _ operation: Operation) throws {
        let name = irName(node)
        try append(Node(name, operation, inputs: [try activation(node.input[0], of: node)]), for: node)
        activations[node.output[0]] = name
    }

    private mutating func importConv(_ node: Onnx_NodeProto) throws {
        let x = try activation(node.input[0], of: node)
        let weight = try constant(node.input[1], of: node, role: "weight")
        guard weight.dims.count == 4, shapes[x]!.count == 3 else {
            throw ONNXError("\(describe(node)) has weight dims \(weight.dims) on input [N] + \(shapes[x]!): expected a 2-D convolution ([out, in / group, kh, kw] on [N, C, H, W])")
        }
        let kernel = Array(weight.dims[2...])
        if let shape = try ints(node, "kernel_shape"), shape != kernel {
            throw ONNXError("\(describe(node)) has kernel_shape \(shape) but weight dims \(weight.dims)")
        }
        let stride = try ints(node, "strides") ?? [1, 1], dilation = try ints(node, "dilations") ?? [1, 1]
        let padding = try pads(node, kernel: kernel, stride: stride, dilation: dilation, input: Array(shapes[x]![1...]))
        let hasBias = node.input.count > 2 && !node.input[2].isEmpty
        let conv = Convolution(outChannels: weight.dims[0], kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                               groups: try int(node, "group") ?? 1, bias: hasBias)
        let name = irName(node)
        var tensors = ["\(name).weight": weight.tensor]
        if hasBias { tensors["\(name).bias"] = try constant(node.input[2], of: node, role: "bias").tensor }
        try append(Node(name, .conv2d(conv), inputs: [x]), parameters: tensors, for: node)
        activations[node.output[0]] = name
    }

    /// Padding top, left, bottom, right from `pads` or `auto_pad`.
    private func pads(_ node: Onnx_NodeProto, kernel: [Int], stride: [Int], dilation: [Int], input: [Int]) throws -> [Int] {
        switch try string(node, "auto_pad") ?? "NOTSET" {
        case "NOTSET": return try ints(node, "pads") ?? [0, 0, 0, 0]
        case "VALID": return [0, 0, 0, 0]
        case let mode where ["SAME_UPPER", "SAME_LOWER"].contains(mode):
            return Convolution.samePadding(kernel: kernel, stride: stride, dilation: dilation, input: input,
                                           oddPixelFirst: mode == "SAME_LOWER")
        case let mode: throw ONNXError("\(describe(node)) has auto_pad \"\(mode)\": expected NOTSET, VALID, SAME_UPPER or SAME_LOWER")
        }
    }

    /// Gemm (`alpha * A * op(B) + beta * C`) or MatMul with a constant second operand, as a linear layer.
    private mutating func importLinear(_ node: Onnx_NodeProto) throws {
        let x = try activation(node.input[0], of: node)
        let b = try constant(node.input[1], of: node, role: "weight")
        let isGemm = node.opType == "Gemm"
        guard b.dims.count == 2, shapes[x]!.count == 1 else {
            throw ONNXError("\(describe(node)) multiplies [N] + \(shapes[x]!) by weight dims \(b.dims): expected [N, K] times a [K, M] matrix (flatten first)")
        }
        if isGemm, try int(node, "transA") ?? 0 != 0 { throw ONNXError("\(describe(node)) has transA 1: expected the input as [N, K] rows") }
        let transposed = try isGemm && (int(node, "transB") ?? 0) != 0
        let (out, features) = transposed ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
        let alpha = isGemm ? (try float(node, "alpha") ?? 1) : 1
        let values = b.floats
        let weight = (0..<(out * features)).map { i in
            alpha * (transposed ? values[i] : values[(i % features) * out + i / features])
        }
        let name = irName(node)
        var tensors = ["\(name).weight": Tensor(shape: [out, features], data: weight)]
        let hasBias = isGemm && node.input.count > 2 && !node.input[2].isEmpty
        if hasBias {
            let c = try constant(node.input[2], of: node, role: "bias"), beta = try float(node, "beta") ?? 1
            guard c.values.count == out || c.values.count == 1 else {
                throw ONNXError("\(describe(node)) has bias dims \(c.dims): expected \(out) values (or one)")
            }
            tensors["\(name).bias"] = Tensor(shape: [out], data: c.broadcast(to: out).map { beta * $0 })
        }
        try append(Node(name, .linear(outFeatures: out, bias: hasBias), inputs: [x]), parameters: tensors, for: node)
        activations[node.output[0]] = name
    }

    private mutating func importBatchNorm(_ node: Onnx_NodeProto) throws {
        guard try int(node, "training_mode") ?? 0 == 0 else {
            throw ONNXError("\(describe(node)) has training_mode 1: expected an inference graph (export in eval mode)")
        }
        let x = try activation(node.input[0], of: node)
        let name = irName(node)
        var tensors: [String: Tensor] = [:]
        for (index, suffix) in [(1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")] {
            let value = try constant(node.input[index], of: node, role: suffix)
            tensors["\(name).\(suffix)"] = Tensor(shape: [value.values.count], data: value.floats)
        }
        let epsilon = try float(node, "epsilon") ?? 1e-5
        try append(Node(name, .batchNorm(epsilon: epsilon, affine: true), inputs: [x]), parameters: tensors, for: node)
        activations[node.output[0]] = name
    }

    private mutating func importPool(_ node: Onnx_NodeProto) throws {
        let x = try activation(node.input[0], of: node)
        guard let kernel = try ints(node, "kernel_shape"), kernel.count == 2, kernel[0] == kernel[1] else {
            throw ONNXError("\(describe(node)) has kernel_shape \(try ints(node, "kernel_shape") ?? []): expected a square 2-D window")
        }
        let stride = try ints(node, "strides") ?? [1, 1]
        guard stride.count == 2, stride[0] == stride[1] else { throw ONNXError("\(describe(node)) has strides \(stride): expected equal strides") }
        guard (try ints(node, "pads") ?? []).allSatisfy({ $0 == 0 }), ["NOTSET", "VALID"].contains(try string(node, "auto_pad") ?? "NOTSET"),
              (try ints(node, "dilations") ?? []).allSatisfy({ $0 == 1 }) else {
            throw ONNXError("\(describe(node)) pads or dilates its window: acim pools without padding or dilation")
        }
        if try int(node, "ceil_mode") ?? 0 != 0, let shape = shapes[x], shape.count == 3,
           (shape[1] - kernel[0]) % stride[0] != 0 || (shape[2] - kernel[0]) % stride[0] != 0 {
            throw ONNXError("\(describe(node)) has ceil_mode 1 and a partial last window: acim pools full windows only")
        }
        if node.output.count > 1, readers[node.output[1], default: 0] > 0 {
            throw ONNXError("\(describe(node)): its indices output is read; acim computes the pooled values only")
        }
        try unary(node, node.opType == "MaxPool" ? .maxPool(kernel: kernel[0], stride: stride[0]) : .avgPool(kernel: kernel[0], stride: stride[0]))
    }

    /// A mean over the two spatial axes: global average pooling (then flatten, without keepdims).
    private mutating func importReduceMean(_ node: Onnx_NodeProto) throws {
        let x = try activation(node.input[0], of: node)
        let rank = shapes[x]!.count + 1
        let axes = try ints(node, "axes") ?? (node.input.count > 1 ? try constant(node.input[1], of: node, role: "axes").integers : [])
        guard rank == 4, Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == [2, 3] else {
            throw ONNXError("\(describe(node)) averages axes \(axes) of a rank-\(rank) tensor: expected the spatial axes [2, 3] of [N, C, H, W]")
        }
        try unary(node, .globalAvgPool)
        guard try int(node, "keepdims") ?? 1 == 0 else { return }
        let name = irName(node, suffix: ".flatten")
        try append(Node(name, .flatten, inputs: [activations[node.output[0]]!]), for: node)
        activations[node.output[0]] = name
    }

    /// A reshape that keeps the batch axis first: the target's first entry is -1, 0 (copy) or the fixed batch.
    private mutating func importReshape(_ node: Onnx_NodeProto) throws {
        let x = try activation(node.input[0], of: node)
        let target = try constant(node.input[1], of: node, role: "shape").integers
        let sample = shapes[x]!, copiesZero = (try int(node, "allowzero") ?? 0) == 0
        let batchKept = target.first == -1 || (target.first == 0 && copiesZero) || (target.first != nil && target.first == fixedBatch)
        guard target.count >= 2, batchKept, !(target[0] == -1 && target.dropFirst().contains(-1)) else {
            throw ONNXError("\(describe(node)) reshapes [N] + \(sample) to \(target): expected the batch axis first (-1, 0 or the batch size) and at most one -1")
        }
        let shape = try target.dropFirst().enumerated().map { axis, size -> Int in
            guard size == 0 else { return size }
            guard copiesZero, axis < sample.count else { throw ONNXError("\(describe(node)) has a 0 in shape \(target) with nothing to copy") }
            return sample[axis]
        }
        if shape == sample { activations[node.output[0]] = x; return }
        try unary(node, .reshape(shape))
    }

    /// Add or Mul of two computed tensors; an Add of a constant is the bias of the MatMul before it.
    private mutating func importElementwise(_ node: Onnx_NodeProto) throws {
        guard node.input.count == 2 else { throw ONNXError("\(describe(node)) has \(node.input.count) inputs: expected 2") }
        let constantIndex = node.input.firstIndex { constants[$0] != nil }
        guard let constantIndex else {
            let inputs = try node.input.map { try activation($0, of: node) }
            let name = irName(node)
            try append(Node(name, node.opType == "Add" ? .add : .mul, inputs: inputs), for: node)
            activations[node.output[0]] = name
            return
        }
        let bias = constants[node.input[constantIndex]]!, operand = node.input[1 - constantIndex]
        guard node.opType == "Add", let source = activations[operand], let index = nodes.firstIndex(where: { $0.name == source }),
              case let .linear(out, false) = nodes[index].operation, readers[operand] == 1,
              bias.values.count == out || bias.values.count == 1 else {
            throw ONNXError("\(describe(node)) combines \"\(operand)\" with a constant: acim folds a constant Add only as the bias of the MatMul it follows")
        }
        nodes[index].operation = .linear(outFeatures: out, bias: true)
        parameters["\(source).bias"] = Tensor(shape: [out], data: bias.broadcast(to: out))
        activations[node.output[0]] = source
    }

    private func constantValue(_ node: Onnx_NodeProto) throws -> ONNXConstant {
        guard let attribute = node.attribute.first else { throw ONNXError("\(describe(node)) has no value attribute") }
        switch attribute.name {
        case "value": return try ONNXConstant(attribute.t, what: describe(node))
        case "value_float": return ONNXConstant(dims: [], values: [Double(attribute.f)], isInteger: false)
        case "value_floats": return ONNXConstant(dims: [attribute.floats.count], values: attribute.floats.map(Double.init), isInteger: false)
        case "value_int": return ONNXConstant(dims: [], values: [Double(attribute.i)], isInteger: true)
        case "value_ints": return ONNXConstant(dims: [attribute.ints.count], values: attribute.ints.map(Double.init), isInteger: true)
        default: throw ONNXError("\(describe(node)) has attribute \(attribute.name): expected value, value_float(s) or value_int(s)")
        }
    }

    // MARK: attributes

    private func attribute(_ node: Onnx_NodeProto, _ name: String, _ type: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        guard let attribute = node.attribute.first(where: { $0.name == name }) else { return nil }
        guard attribute.type == type else { throw ONNXError("\(describe(node)) attribute \(name) has type \(attribute.type): expected \(type)") }
        return attribute
    }

    func ints(_ node: Onnx_NodeProto, _ name: String) throws -> [Int]? {
        try attribute(node, name, .ints).map { $0.ints.map { Int($0) } }
    }

    func int(_ node: Onnx_NodeProto, _ name: String) throws -> Int? {
        try attribute(node, name, .int).map { Int($0.i) }
    }

    func float(_ node: Onnx_NodeProto, _ name: String) throws -> Float? {
        try attribute(node, name, .float).map(\.f)
    }

    func string(_ node: Onnx_NodeProto, _ name: String) throws -> String? {
        try attribute(node, name, .string).map { String(decoding: $0.s, as: UTF8.self) }
    }
}
