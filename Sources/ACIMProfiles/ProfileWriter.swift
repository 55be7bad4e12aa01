import Yams

extension HardwareProfile {
    /// The fully resolved profile as YAML, every default included; loading it gives this profile back.
    public func yaml() throws -> String {
        let encoded = try YAMLEncoder().encode(self)
        guard let node = try Yams.compose(yaml: encoded) else { return encoded }
        return try Yams.serialize(node: node.withPlainNumbers())
    }
}

extension Node {
    /// The tree with floating-point scalars in their shortest round-trip form (`99.9`, not `9.99e+1`).
    fileprivate func withPlainNumbers() -> Node {
        switch self {
        case let .mapping(mapping):
            let pairs = mapping.map { ($0.key, $0.value.withPlainNumbers()) }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case let .scalar(scalar):
            guard scalar.style == .plain, Int(scalar.string) == nil, let value = Double(scalar.string), value.isFinite
            else { return self }
            return Node("\(value)", Tag(.float))
        default:
            return self
        }
    }
}
