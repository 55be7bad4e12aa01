import ACIMArray
import ACIMChip
import ACIMCore

/// A weight matrix partitioned over crossbars: `rows x columns` signed codes (inputs by outputs) cut into
/// blocks that fit one array each, every block on its own array.
///
/// A grouped convolution's matrix is block-diagonal: group `g` connects rows `g * rows / groups ..<` to
/// columns `g * columns / groups ..<` only. Each group is partitioned on its own, and the zeros between
/// groups are never placed.
///
/// Within a group, rows are split evenly over `rowSplits` blocks and columns over `columnSplits` (block
/// sizes differ by at most one), so the arrays of a layer carry similar loads and ADC ranges. An MVM drives
/// each block with its slice of the input vector; row splits add their partial sums in the digital unit,
/// each after its own array's sparsity and drift compensation, and column splits concatenate.
public struct PartitionedMatrix: Sendable, Equatable {
    /// One block: the logical input rows and outputs it holds, and its array.
    public struct Block: Sendable, Equatable {
        public let rows: Range<Int>
        public let columns: Range<Int>
        public let array: ArrayID
    }

    public let rows: Int
    public let columns: Int
    /// Diagonal groups (1: a dense matrix).
    public let groups: Int
    /// Row splits of each group.
    public let rowSplits: Int
    /// Column splits of each group.
    public let columnSplits: Int
    /// Group-major, then row-split-major: block `(g * rowSplits + r) * columnSplits + c` holds row range `r`
    /// and column range `c` of group `g`.
    public let blocks: [Block]

    /// The number of row and column splits each group of a `rows x columns` matrix of `groups` diagonal
    /// groups needs on arrays of `layout`.
    public static func splits(rows: Int, columns: Int, groups: Int = 1, layout: CrossbarLayout) -> (rows: Int, columns: Int) {
        let (groupRows, groupColumns) = (rows / max(groups, 1), columns / max(groups, 1))
        return ((groupRows + layout.logicalRows - 1) / layout.logicalRows, (groupColumns + layout.weightCapacity - 1) / layout.weightCapacity)
    }

    /// The number of arrays (blocks) such a matrix takes.
    public static func arrayCount(rows: Int, columns: Int, groups: Int = 1, layout: CrossbarLayout) -> Int {
        let (r, c) = splits(rows: rows, columns: columns, groups: groups, layout: layout)
        return groups * r * c
    }

    /// Partitions a `rows x columns` matrix of `groups` diagonal groups for arrays of `layout` onto
    /// `arrays`, one per block in block order; throws unless exactly that many arrays are given.
    public init(rows: Int, columns: Int, groups: Int = 1, layout: CrossbarLayout, arrays: [ArrayID]) throws {
        guard rows > 0, columns > 0, groups > 0, rows % groups == 0, columns % groups == 0 else {
            throw ACIMError.shapeMismatch(
                "a \(rows)x\(columns) weight matrix of \(groups) groups: expected at least one row and one column, both divisible by the groups")
        }
        let (rowSplits, columnSplits) = Self.splits(rows: rows, columns: columns, groups: groups, layout: layout)
        let count = groups * rowSplits * columnSplits
        guard arrays.count == count else {
            throw ACIMError.inconsistentParameters("a \(rows)x\(columns) matrix of \(groups) groups takes \(count) arrays, got \(arrays.count)")
        }
        let (groupRows, groupColumns) = (rows / groups, columns / groups)
        let rowRanges = Self.even(groupRows, rowSplits), columnRanges = Self.even(groupColumns, columnSplits)
        self.rows = rows
        self.columns = columns
        self.groups = groups
        self.rowSplits = rowSplits
        self.columnSplits = columnSplits
        var blocks: [Block] = []
        for g in 0..<groups {
            for rowRange in rowRanges {
                for columnRange in columnRanges {
                    blocks.append(Block(rows: (rowRange.lowerBound + g * groupRows)..<(rowRange.upperBound + g * groupRows),
                                        columns: (columnRange.lowerBound + g * groupColumns)..<(columnRange.upperBound + g * groupColumns),
                                        array: arrays[blocks.count]))
                }
            }
        }
        self.blocks = blocks
    }

    /// `count` split into `parts` consecutive ranges whose sizes differ by at most one, larger first.
    private static func even(_ count: Int, _ parts: Int) -> [Range<Int>] {
        let (base, extra) = count.quotientAndRemainder(dividingBy: parts)
        var start = 0
        return (0..<parts).map { k in
            let size = base + (k < extra ? 1 : 0)
            defer { start += size }
            return start..<(start + size)
        }
    }

    /// The codes of `block` cut from the whole `rows x columns` matrix `weights`.
    public func weights(of block: Block, from weights: Matrix<Int32>) -> Matrix<Int32> {
        Matrix(rows: block.rows.count, columns: block.columns.count) {
            weights[block.rows.lowerBound + $0, block.columns.lowerBound + $1]
        }
    }

    /// The inputs of `block`: the columns of `inputs` (`vectors x rows`) its rows take.
    func inputs(of block: Block, from inputs: Matrix<Int32>) -> Matrix<Int32> {
        guard block.rows.count < rows else { return inputs }
        let width = block.rows.count, start = block.rows.lowerBound
        var storage = [Int32]()
        storage.reserveCapacity(inputs.rows * width)
        inputs.storage.withUnsafeBufferPointer { source in
            for v in 0..<inputs.rows {
                let row = source.baseAddress! + v * rows + start
                storage.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
            }
        }
        return Matrix(rows: inputs.rows, columns: width, storage: storage)
    }

    /// The results of one MVM on some blocks added into the whole `vectors x columns` output: row splits
    /// summed in block order, column splits side by side; outputs of blocks not given are 0.
    func combine(_ results: [(Block, MVMResult)], vectors: Int) -> Matrix<Double> {
        var outputs = Matrix<Double>(rows: vectors, columns: columns, repeating: 0)
        let columns = self.columns
        outputs.storage.withUnsafeMutableBufferPointer { outputs in
            for (block, result) in results {
                let (first, width) = (block.columns.lowerBound, block.columns.count)
                precondition(result.outputs.rows == vectors && result.outputs.columns == width, "block result of another shape")
                result.outputs.storage.withUnsafeBufferPointer { sums in
                    for v in 0..<vectors {
                        let (row, sum) = (outputs.baseAddress! + v * columns + first, sums.baseAddress! + v * width)
                        for j in 0..<width { row[j] += sum[j] }
                    }
                }
            }
        }
        return outputs
    }
}
