import ACIMCore
import Foundation

/// Where a subtask mask acts: the filters of a convolution, gated at the output of `gate` (the node after
/// the filters' batch norm, activation and pooling, right before the next layer reads them).
public struct MaskSite: Sendable, Equatable {
    /// The convolution whose output channels (filters) the mask prunes.
    public var filters: String
    /// The node whose output channels are multiplied by the gate.
    public var gate: String
    /// Whether the site has a scaling mask (true when the next layer is a convolution).
    public var scaled: Bool
    /// Sites with the same tie share their masks: every tensor entering the same residual add.
    public var tie: String?

    public init(filters: String, gate: String, scaled: Bool, tie: String? = nil) {
        self.filters = filters
        self.gate = gate
        self.scaled = scaled
        self.tie = tie
    }
}

/// A subtask: a set of basic subtask ids, kept sorted so that the same set always has the same key.
public struct Subtask: Sendable, Hashable, CustomStringConvertible {
    public let basicIDs: [Int]

    public init<S: Sequence>(_ ids: S) where S.Element == Int { basicIDs = Array(Set(ids)).sorted() }

    public var description: String { basicIDs.map(String.init).joined(separator: "+") }
}

/// The masks of one subtask: a gate (binary mask times scaling) per site.
public struct SubtaskMasks: Sendable {
    /// Binary filter masks `M_T`, per site.
    public var binary: [[Float]]
    /// Combined scaling masks `S_T` (MaxAbs), per site; ones where a site is unscaled.
    public var scaling: [[Float]]
    /// Which basic subtask supplied each combined utility (element-wise max) entry.
    public var utilitySource: [[Int]]
    /// Which basic subtask supplied each combined scaling (MaxAbs) entry.
    public var scalingSource: [[Int]]

    /// `M_T * S_T` per site.
    public var gates: [[Float]] { zip(binary, scaling).map { zip($0, $1).map { $0 * $1 } } }
}

/// A base network with per-basic-subtask utility and scaling masks (docs/design.md, *Subtask-adaptive pruning*).
public struct SubtaskAdaptiveNetwork: Sendable {
    public internal(set) var base: Network
    /// Class indices of each basic subtask.
    public let basicSubtasks: [[Int]]
    public let sites: [MaskSite]
    /// Threshold τ of the binarisation `M = U > τ`.
    public let threshold: Float
    /// Weight β of the subtask's classes in the subtask loss.
    public let beta: Float
    /// Utility pre-parameters `v[k][site][filter]`; the utility mask is `u = |v|`.
    public internal(set) var utilityParameters: [[[Float]]]
    /// Scaling masks `s[k][site][filter]` (all ones at unscaled sites).
    public internal(set) var scaling: [[[Float]]]

    public init(base: Network, basicSubtasks: [[Int]], sites: [MaskSite], threshold: Float, beta: Float,
                utilityParameters: [[[Float]]], scaling: [[[Float]]]) throws {
        guard !basicSubtasks.isEmpty else { throw ACIMError.inconsistentParameters("no basic subtasks") }
        var seen = Set<Int>()
        for subtask in basicSubtasks {
            guard !subtask.isEmpty, subtask.allSatisfy({ (0..<base.classes.count).contains($0) }) else {
                throw ACIMError.invalidParameter(name: "basic subtask", value: "\(subtask)",
                                                 expected: "a non-empty list of class indices in 0..<\(base.classes.count)")
            }
            guard seen.isDisjoint(with: subtask) else {
                throw ACIMError.inconsistentParameters("basic subtasks \(basicSubtasks) overlap")
            }
            seen.formUnion(subtask)
        }
        var filterCounts: [Int] = []
        for site in sites {
            guard case let .conv2d(conv) = base.node(named: site.filters)?.operation, case let out = conv.outChannels else {
                throw ACIMError.inconsistentParameters("mask site filters \"\(site.filters)\" is not a conv2d node")
            }
            guard let gateShape = base.shapes[site.gate], gateShape[0] == out else {
                throw ACIMError.shapeMismatch("mask site gate \"\(site.gate)\" must be a node with \(out) channels (the filters of \(site.filters))")
            }
            try Self.checkPath(of: site, in: base)
            filterCounts.append(out)
        }
        for (label, masks) in [("utility", utilityParameters), ("scaling", scaling)] {
            guard masks.count == basicSubtasks.count, masks.allSatisfy({ $0.map(\.count) == filterCounts }) else {
                throw ACIMError.shapeMismatch("\(label) masks: expected \(basicSubtasks.count) subtasks x filters \(filterCounts)")
            }
        }
        for group in Self.tiedGroups(sites) {
            let first = group[0]
            for s in group.dropFirst() {
                guard !sites[s].scaled, !sites[first].scaled,
                      utilityParameters.allSatisfy({ $0[s].map(abs) == $0[first].map(abs) }) else {
                    throw ACIMError.inconsistentParameters(
                        "tied mask sites \(sites[first].filters) and \(sites[s].filters) must be unscaled and have equal utility masks")
                }
            }
        }
        guard threshold >= 0, beta > 0 else {
            throw ACIMError.invalidParameter(name: "threshold/beta", value: "\(threshold)/\(beta)", expected: "threshold >= 0 and beta > 0")
        }
        self.base = base
        self.basicSubtasks = basicSubtasks
        self.sites = sites
        self.threshold = threshold
        self.beta = beta
        self.utilityParameters = utilityParameters
        self.scaling = scaling
    }

    /// A site's gate must follow its filters through per-channel operations only, and a scaled gate must
    /// reach conv2d/linear consumers directly or through flatten/reshape (where the gain becomes an input gain).
    private static func checkPath(of site: MaskSite, in network: Network) throws {
        var name = site.gate
        while name != site.filters {
            guard let node = network.node(named: name), node.operation.isChannelwise else {
                throw ACIMError.inconsistentParameters(
                    "mask site \(site.filters)@\(site.gate): the gate must follow the filters through batch norm, ReLU or pooling only")
            }
            name = node.inputs[0]
        }
        var frontier = [site.gate]
        while site.scaled, let current = frontier.popLast() {
            for consumer in network.consumers(of: current) {
                if ["flatten", "reshape"].contains(consumer.operation.kind) { frontier.append(consumer.name); continue }
                guard consumer.operation.isWeighted else {
                    throw ACIMError.inconsistentParameters(
                        "scaled mask site \(site.filters)@\(site.gate): \(consumer.name) (\(consumer.operation.kind)) reads the gate; expected conv2d or linear")
                }
            }
        }
    }

    /// Indices of the sites of each tie with two or more members, in site order.
    static func tiedGroups(_ sites: [MaskSite]) -> [[Int]] {
        let ties = sites.compactMap(\.tie).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return ties.map { tie in sites.indices.filter { sites[$0].tie == tie } }.filter { $0.count > 1 }
    }

    /// The subtask made of every basic subtask.
    public var fullSubtask: Subtask { Subtask(basicSubtasks.indices) }

    /// Class indices of a subtask, ascending.
    public func classes(of subtask: Subtask) -> [Int] { subtask.basicIDs.flatMap { basicSubtasks[$0] }.sorted() }

    /// Parses `"0,1+2,3"` (class labels of basic subtasks joined by `+`) or `"all"`.
    public func subtask(parsing text: String) throws -> Subtask {
        if text == "all" { return fullSubtask }
        let ids = try text.split(separator: "+", omittingEmptySubsequences: false).map { group -> Int in
            let labels = group.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let indices = Set(labels.compactMap { base.classes.firstIndex(of: $0) })
            guard indices.count == labels.count, let id = basicSubtasks.firstIndex(where: { Set($0) == indices }) else {
                let known = basicSubtasks.map { $0.map { base.classes[$0] }.joined(separator: ",") }.joined(separator: " ")
                throw ACIMError.invalidParameter(name: "subtask", value: text,
                                                 expected: "basic subtasks joined by '+', each one of: \(known); or \"all\"")
            }
            return id
        }
        return Subtask(ids)
    }

    /// The combined masks of a subtask: element-wise max of utilities, MaxAbs of scalings (ties go to the
    /// lowest basic id), threshold, and at least one filter kept per site.
    public func masks(for subtask: Subtask) throws -> SubtaskMasks {
        guard !subtask.basicIDs.isEmpty, subtask.basicIDs.allSatisfy({ basicSubtasks.indices.contains($0) }) else {
            throw ACIMError.invalidParameter(name: "subtask", value: subtask.description,
                                             expected: "basic subtask ids in 0..<\(basicSubtasks.count)")
        }
        var masks = SubtaskMasks(binary: [], scaling: [], utilitySource: [], scalingSource: [])
        for site in sites.indices {
            let count = utilityParameters[0][site].count
            var utility = [Float](repeating: -1, count: count), utilitySource = [Int](repeating: 0, count: count)
            var scale = [Float](repeating: 0, count: count), scaleSource = [Int](repeating: -1, count: count)
            for k in subtask.basicIDs {
                for i in 0..<count {
                    let u = abs(utilityParameters[k][site][i])
                    if u > utility[i] { utility[i] = u; utilitySource[i] = k }
                    let s = scaling[k][site][i]
                    if scaleSource[i] < 0 || abs(s) > abs(scale[i]) { scale[i] = s; scaleSource[i] = k }
                }
            }
            var binary = utility.map { $0 > threshold ? Float(1) : 0 }
            if !binary.contains(1), let best = utility.indices.max(by: { utility[$0] < utility[$1] }) { binary[best] = 1 }
            masks.binary.append(binary)
            masks.scaling.append(sites[site].scaled ? scale : Array(repeating: 1, count: count))
            masks.utilitySource.append(utilitySource)
            masks.scalingSource.append(scaleSource)
        }
        return masks
    }

    /// The gates the executor applies for a subtask, keyed by gated node.
    public func gates(for subtask: Subtask) throws -> [String: [Float]] {
        let masks = try masks(for: subtask)
        return Dictionary(uniqueKeysWithValues: zip(sites.map(\.gate), masks.gates))
    }
}
