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
                  log: GEMMLog?) -> GEMMProduct {
        guard rows > 0 else { return GEMMProduct(count: 0) }
        switch self {
        case .packed(let b):
            let product = GEMMProduct(count: rows * b.columns)
            // Squares fit a byte: the operands were packed only when `IntegerGEMM.isExact` holds for them.
            // Signed digits (magnitudes below 128) are biased by 128 into the unsigned operand.
            let left = squared ? a.map { $0 &* $0 }
                : negative.map { negative in zip(a, negative).map { $1 != 0 ? 128 &- $0 : 128 &+ $0 } } ?? a
            let done = left.withUnsafeBufferPointer {
                IntegerGEMM.multiply($0.baseAddress!, rows: rows, by: b, into: product.base)
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
            // oneDNN failed: the same product on sgemm, OpenBLAS on one thread (the engine's items may run in
            // parallel).
            let values = Matrix(rows: b.rows, columns: b.columns, storage: b.values.map { Float($0) })
            return BLAS.singleThreaded {
                GEMMOperand.float(values).multiply(a, squared: squared, negative: negative, rows: rows, maxRows: maxRows,
                                                   log: log)
            }
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
            let product = GEMMProduct(count: gemmRows * width)
            left.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    // sgemm with beta 0 writes every element of the product.
                    BLAS.sgemm(m: gemmRows, n: width, k: b.rows, a: pa.baseAddress!, lda: b.rows,
                               b: pb.baseAddress!, ldb: width, c: product.base, ldc: width)
                }
            }
            return product
        }
    }
}

/// The product of one GEMM, `count` floats that start on a 64-byte boundary: the GEMM kernels store whole
/// 64-byte vectors, and a product that starts elsewhere (a Swift array's elements follow its header) splits
/// every one of them over two cache lines, which costs the integer GEMM several percent.
public final class GEMMProduct: @unchecked Sendable {
    public let count: Int
    /// The first element; written by one GEMM, then read.
    public let base: UnsafeMutablePointer<Float>

    /// `count` uninitialized floats.
    public init(count: Int) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    subscript(_ index: Int) -> Float {
        get {
            assert(index >= 0 && index < count)
            return base[index]
        }
        set {
            assert(index >= 0 && index < count)
            base[index] = newValue
        }
    }
}
