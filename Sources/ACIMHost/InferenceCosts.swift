import ACIMCore

/// What a batch of inferences cost on the chip: energy by layer and component, and the layer-by-layer
/// latency (each layer's arrays run side by side, then its digital unit and tile memory work; layers run
/// one after another, not pipelined).
public struct InferenceCosts: Sendable {
    /// One weighted layer with the digital work done beside it, over the whole batch.
    public struct Stage: Sendable {
        public let name: String
        public let arrays: Int
        public let tiles: Int
        /// Busy cycles of the layer's busiest array.
        public let mvmCycles: Int
        /// Cycles of the digital units of its tiles (`digital_lanes` operations per cycle each).
        public let digitalCycles: Int
        /// Cycles of its tiles' memory (`memory_banks x bank_width` bytes per cycle each).
        public let memoryCycles: Int
        public let work: DigitalWork

        public var cycles: Int { mvmCycles + digitalCycles + memoryCycles }
    }

    /// Inferences in the batch.
    public let inferences: Int
    public let stages: [Stage]
    /// Energy by layer (`CostPlace.layer`) and component, over the batch.
    public let ledger: CostLedger
    /// The chip clock, in hertz.
    public let clock: Double
    /// Multiply-accumulates of one inference.
    public let macs: Int

    /// Cycles of one inference, layer by layer.
    public var latencyCycles: Double { Double(stages.reduce(0) { $0 + $1.cycles }) / Double(max(inferences, 1)) }
    /// Seconds of one inference.
    public var latency: Double { latencyCycles / clock }
    /// Joules of one inference.
    public var energy: Double { ledger.energy / Double(max(inferences, 1)) }
    /// Tera-operations per second, a MAC counting as two operations.
    public var tops: Double { latency > 0 ? 2 * Double(macs) / latency / 1e12 : 0 }
    /// Tera-operations per joule (TOPS/W).
    public var topsPerWatt: Double { energy > 0 ? 2 * Double(macs) / energy / 1e12 : 0 }

    /// Two batches' costs as one, on the same network and chip.
    public static func + (lhs: InferenceCosts, rhs: InferenceCosts) -> InferenceCosts {
        let stages = zip(lhs.stages, rhs.stages).map { a, b in
            var work = a.work
            work += b.work
            return Stage(name: a.name, arrays: a.arrays, tiles: a.tiles, mvmCycles: a.mvmCycles + b.mvmCycles,
                         digitalCycles: a.digitalCycles + b.digitalCycles, memoryCycles: a.memoryCycles + b.memoryCycles,
                         work: work)
        }
        return InferenceCosts(inferences: lhs.inferences + rhs.inferences, stages: stages, ledger: lhs.ledger + rhs.ledger,
                              clock: lhs.clock, macs: lhs.macs)
    }
}
