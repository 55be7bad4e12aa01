import ACIMArray
import ACIMChip
import ACIMCore
import ACIMHost
import ACIMNetwork
import ArgumentParser
import Foundation

/// `acim map`: where a network's layers sit on the chip, and whether it fits.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Show where a network's layers sit on the chip: blocks, arrays, tiles, cell utilization.",
        discussion: """
            Every conv and linear layer is unrolled into a weight matrix (im2col: the input patch is the rows, \
            each filter a column group), split evenly into blocks that fit one array, and the blocks placed \
            in network order along a snake of the tile mesh. With --subtask, also the arrays gate-and-gain \
            mode power-gates and the compact placement of the pruned network (remap mode).
            """)

    @OptionGroup var profile: ProfileOption
    @OptionGroup var network: NetworkOptions

    func run() throws {
        let hardware = try profile.load()
        do {
            let chip = try hardware.makeChip()
            let setup = try NetworkSetup(options: network, inputs: nil, chip: chip)
            let layout = CrossbarLayout(config: chip.crossbar)
            say("\(network.model) on \(hardware.name): \(chip.config.tiles) tiles x \(chip.tile.arrays) arrays of "
                  + "\(chip.crossbar.array.rows)x\(chip.crossbar.array.cols) cells; an array holds \(layout.logicalRows) "
                  + "inputs x \(layout.weightCapacity) outputs (\(layout.columnsPerWeight) columns per weight)")
            for configuration in setup.configurations {
                let placement = configuration.mapped.placement
                let gated = Set(configuration.mapped.powerGatedArrays)
                say("")
                say("\(configuration.name): \(placement.arraysUsed - gated.count) of \(placement.arraysAvailable) arrays"
                      + (gated.isEmpty ? "" : " (\(gated.count) more power-gated)") + " on \(placement.tilesUsed) tile\(placement.tilesUsed == 1 ? "" : "s"); fits")
                say("  layer                       matrix        blocks  arrays  tiles     utilization")
                for layer in placement.layers {
                    let matrix = layer.matrix
                    let off = layer.arrays.filter { gated.contains($0) }.count
                    say("  " + layer.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                          + "\(matrix.rows)x\(matrix.columns)".padding(toLength: 14, withPad: " ", startingAt: 0)
                          + ((matrix.groups > 1 ? "\(matrix.groups)x" : "") + "\(matrix.rowSplits)x\(matrix.columnSplits)").leftPadded(6) + "\(layer.arrays.count - off)".leftPadded(8)
                          + ("  " + layer.tiles.map(String.init).joined(separator: ",")).padding(toLength: 12, withPad: " ", startingAt: 0)
                          + percent(layer.utilization).leftPadded(10)
                          + (off > 0 ? "  \(off) power-gated" : ""))
                }
            }
        } catch let error as ACIMError { throw CLIError(error.description) }
    }
}
