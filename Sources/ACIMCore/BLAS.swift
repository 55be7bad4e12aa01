import CBLAS

/// Thin, typed access to the OpenBLAS routines the simulator uses.
public enum BLAS {
    /// The kernel set OpenBLAS selected for this CPU, for example `"SkylakeX"` or `"Prescott"`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The build configuration string of the loaded OpenBLAS.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// Number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`.
    ///
    /// `A` is `m x k` (or `k x m` when `transposeA`), `B` is `k x n` (or `n x k` when `transposeB`),
    /// `C` is `m x n`; leading dimensions are the row lengths of the stored matrices.
    @inlinable
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C = A * B` for row-major matrices.
    public static func multiply(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
        precondition(a.columns == b.rows, "inner dimensions differ")
        var c = Matrix<Float>(rows: a.rows, columns: b.columns, repeating: 0)
        guard a.columns > 0 else { return c }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    sgemm(m: a.rows, n: b.columns, k: a.columns,
                          a: pa.baseAddress!, lda: a.columns,
                          b: pb.baseAddress!, ldb: b.columns,
                          c: pc.baseAddress!, ldc: b.columns)
                }
            }
        }
        return c
    }
}
