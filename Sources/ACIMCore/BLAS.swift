import CBLAS
import Foundation

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

    /// Number of threads OpenBLAS uses for one call (outside `singleThreaded`, the configured count).
    public static var threadCount: Int {
        get {
            singleThreadLock.lock()
            defer { singleThreadLock.unlock() }
            return singleThreadDepth > 0 ? savedThreadCount : Int(openblas_get_num_threads())
        }
        set {
            singleThreadLock.lock()
            defer { singleThreadLock.unlock() }
            if singleThreadDepth > 0 {
                savedThreadCount = max(1, newValue)
            } else {
                openblas_set_num_threads(Int32(max(1, newValue)))
            }
        }
    }

    /// Runs `body` with OpenBLAS on one thread, so that results do not depend on how OpenBLAS partitions a
    /// call and callers can run calls in parallel themselves. Safe to nest and to call from several
    /// threads at once: the first caller in switches OpenBLAS to one thread, the last one out restores the
    /// configured count (`threadCount` keeps reporting it meanwhile).
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        singleThreadLock.lock()
        if singleThreadDepth == 0 {
            savedThreadCount = Int(openblas_get_num_threads())
            openblas_set_num_threads(1)
        }
        singleThreadDepth += 1
        singleThreadLock.unlock()
        defer {
            singleThreadLock.lock()
            singleThreadDepth -= 1
            if singleThreadDepth == 0 { openblas_set_num_threads(Int32(savedThreadCount)) }
            singleThreadLock.unlock()
        }
        return try body()
    }

    private static let singleThreadLock = NSLock()
    nonisolated(unsafe) private static var singleThreadDepth = 0
    nonisolated(unsafe) private static var savedThreadCount = 1

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
