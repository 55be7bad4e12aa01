import ACIMCore

/// The right operand of the FastEngine's column-sum GEMMs: cell levels (or the 0/1 matrix of cells read),
/// packed for the exact integer GEMM, or as floats for sgemm. The left operand is always a matrix of input
/// digits (or 0/1 connections), so both give the same sums wherever the integer path is taken.
enum GEMMOperand {
    case packed(IntegerGEMM.PackedMatrix)
    case float(Matrix<Float>)

    /// `a (rows x depth) * self`, `a`'s entries squared first when `squared`, or negated where `negative`
    /// is 1 (sign-magnitude digits): the product rows in order, then any zero rows an sgemm is padded with
    /// (`FastEngine.gemmRows`). No GEMM for no rows.
    func multiply(_ a: [UInt8], squared: Bool = false, negative: [UInt8]? = nil, rows: Int, maxRows: Int,
                  log: GEMMLog?) -> [Float] {
        guard rows > 0 else { return [] }
        switch self {
        case .packed(let b):
            var done = false
            var product = [Float](unsafeUninitializedCapacity: rows * b.columns) { c, count in
                // Squares fit a byte: the operands were packed only when `IntegerGEMM.isExact` holds for them.
                // Signed digits (magnitudes below 128) are biased by 128 into the unsigned operand.
                let left = squared ? a.map { $0 &* $0 }
                    : negative.map { negative in zip(a, negative).map { $1 != 0 ? 128 &- $0 : 128 &+ $0 } } ?? a
                done = left.withUnsafeBufferPointer {
                    IntegerGEMM.multiply($0.baseAddress!, rows: rows, by: b, into: c.baseAddress!)
                }
                count = rows * b.columns
            }
            if done {
                log?.record(m: rows, n: b.columns, k: b.rows, integer: true)
                if negative != nil && !squared {
                    // Less the bias times each column's level sum: integers below 2^24, so exact.
                    let bias = b.columnSums.map { Float(128 * $0) }
                    for r in 0..<rows {
                        for c in 0..<b.columns { product[r * b.columns + c] -= bias[c] }
                    }
                }
                return product
            }
            // oneDNN failed: the same product on sgemm.
            let values = Matrix(rows: b.rows, columns: b.columns, storage: b.values.map { Float($0) })
            return GEMMOperand.float(values).multiply(a, squared: squared, negative: negative, rows: rows,
                                                      maxRows: maxRows, log: log)
        case .float(let b):
            let width = b.columns
            let gemmRows = FastEngine.gemmRows(rows, columns: width, depth: b.rows, maxRows: maxRows)
            log?.record(m: gemmRows, n: width, k: b.rows, integer: false)
            var left = [Float](repeating: 0, count: gemmRows * b.rows)
            if squared {
                for i in 0..<(rows * b.rows) { left[i] = Float(a[i]) * Float(a[i]) }
            } else if let negative {
                for i in 0..<(rows * b.rows) { left[i] = negative[i] != 0 ? -Float(a[i]) : Float(a[i]) }
            } else {
                for i in 0..<(rows * b.rows) { left[i] = Float(a[i]) }
            }
            return [Float](unsafeUninitializedCapacity: gemmRows * width) { product, count in
                left.withUnsafeBufferPointer { pa in
                    b.storage.withUnsafeBufferPointer { pb in
                        // sgemm with beta 0 writes every element of the product.
                        BLAS.sgemm(m: gemmRows, n: width, k: b.rows, a: pa.baseAddress!, lda: b.rows,
                                   b: pb.baseAddress!, ldb: width, c: product.baseAddress!, ldc: width)
                    }
                }
                count = gemmRows * width
            }
        }
    }
}
