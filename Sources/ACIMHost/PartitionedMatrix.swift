import ACIMArray
import ACIMChip
import ACIMCore

/// A weight matrix partitioned over crossbars: `rows x columns` signed codes (inputs by outputs) cut into
/// blocks that fit one array each, every block on its own array.
///
/// Rows are split evenly over `rowSplits` blocks and columns over `columnSplits` (block sizes differ by at
/// most one), so the arrays of a layer carry similar loads and ADC ranges. An MVM drives each block with
/// its slice of the input vector; row splits add their partial sums in the digital unit, each after its own
/// array's sparsity and drift compensation, and column splits concatenate.
public struct PartitionedMatrix: Sendable, Equatable {
    /// One block: the logical input rows and outputs it holds, and its array.
    public struct Block: Sendable, Equatable {
        public let rows: Range<Int>
        public let columns: Range<Int>
        public let array: ArrayID
    }

    public let rows: Int
    public let columns: Int
    public let rowSplits: Int
    public let columnSplits: Int
    /// Row-split-major: block `r * columnSplits + c` holds row range `r` and column range `c`.
    public let blocks: [Block]

    /// The number of row and column splits a `rows x columns` matrix needs on arrays of `layout`.
    public static func splits(rows: Int, columns: Int, layout: CrossbarLayout) -> (rows: Int, columns: Int) {
        ((rows + layout.logicalRows - 1) / layout.logicalRows, (columns + layout.weightCapacity - 1) / layout.weightCapacity)
    }

    /// Partitions a `rows x columns` matrix for arrays of `layout` onto `arrays`, one per block in
    /// row-split-major order; throws unless exactly that many arrays are given.
    public init(rows: Int, columns: Int, layout: CrossbarLayout, arrays: [ArrayID]) throws {
        guard rows > 0, columns > 0 else {
            throw ACIMError.shapeMismatch("a \(rows)x\(columns) weight matrix: expected at least one row and one column")
        }
        let (rowSplits, columnSplits) = Self.splits(rows: rows, columns: columns, layout: layout)
        guard arrays.count == rowSplits * columnSplits else {
            throw ACIMError.inconsistentParameters("a \(rows)x\(columns) matrix takes \(rowSplits * columnSplits) arrays, got \(arrays.count)")
        }
        let rowRanges = Self.even(rows, rowSplits), columnRanges = Self.even(columns, columnSplits)
        self.rows = rows
        self.columns = columns
        self.rowSplits = rowSplits
        self.columnSplits = columnSplits
        blocks = rowRanges.enumerated().flatMap { r, rowRange in
            columnRanges.enumerated().map { c, columnRange in
                Block(rows: rowRange, columns: columnRange, array: arrays[r * columnSplits + c])
            }
        }
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
        guard rowSplits > 1 else { return inputs }
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
        for (block, result) in results {
            for v in 0..<vectors {
                for (j, column) in block.columns.enumerated() { outputs[v, column] += result.outputs[v, j] }
            }
        }
        return outputs
    }
}
