import ACIMCore

/// The GEMMs of a convolution of `groups` groups, one per group on its own channels. The im2col patches hold
/// all `k` entries (the input channels in order, so group `g`'s are the `k / groups` entries from
/// `g * k / groups` on) and the stored weight is `[n, k / groups]` (group `g`'s `n / groups` outputs in order):
/// per group a GEMM of `k / groups` by `n / groups`, the work of the block-diagonal matrix's blocks alone. With
/// one group each is the single GEMM of a plain convolution.
extension Kernels {
    /// `cols · Wᵀ` for the `m` patches `cols` (`[m, k]`) and the grouped weight `weight` (`[n, k / groups]`):
    /// `[m, n]`, output `o` summing only its group's patch entries.
    static func groupedProduct(_ cols: [Float], _ weight: [Float], m: Int, n: Int, k: Int, groups: Int) -> [Float] {
        let (perGroup, outPerGroup) = (k / groups, n / groups)
        return gemms(cols, weight, count: m * n) { a, b, c in
            for g in 0..<groups {
                BLAS.sgemm(transposeB: true, m: m, n: outPerGroup, k: perGroup,
                           a: a + g * perGroup, lda: k, b: b + g * outPerGroup * perGroup, ldb: perGroup,
                           c: c + g * outPerGroup, ldc: n)
            }
        }
    }

    /// The gradient of the grouped weight (`[n, k / groups]`) from the output gradient `rows` (`[m, n]`)
    /// and the patches `cols` (`[m, k]`): per group, its outputs' gradients times its patch entries.
    static func groupedWeightGradient(_ rows: [Float], _ cols: [Float], m: Int, n: Int, k: Int, groups: Int) -> [Float] {
        let (perGroup, outPerGroup) = (k / groups, n / groups)
        return gemms(rows, cols, count: n * perGroup) { a, b, c in
            for g in 0..<groups {
                BLAS.sgemm(transposeA: true, m: outPerGroup, n: perGroup, k: m,
                           a: a + g * outPerGroup, lda: n, b: b + g * perGroup, ldb: k,
                           c: c + g * outPerGroup * perGroup, ldc: perGroup)
            }
        }
    }

    /// The gradient of the patches (`[m, k]`) from the output gradient `rows` (`[m, n]`) and the grouped
    /// weight (`[n, k / groups]`): per group, its outputs' gradients times its block.
    static func groupedPatchGradient(_ rows: [Float], _ weight: [Float], m: Int, n: Int, k: Int, groups: Int) -> [Float] {
        let (perGroup, outPerGroup) = (k / groups, n / groups)
        return gemms(rows, weight, count: m * k) { a, b, c in
            for g in 0..<groups {
                BLAS.sgemm(m: m, n: perGroup, k: outPerGroup,
                           a: a + g * outPerGroup, lda: n, b: b + g * outPerGroup * perGroup, ldb: perGroup,
                           c: c + g * perGroup, ldc: k)
            }
        }
    }

    /// The grouped weight `[n, k / groups]` spread over whole patches: the block-diagonal `[n, k]` matrix,
    /// zero outside each output's group (the weight itself for one group).
    static func blockDiagonal(_ weight: [Float], n: Int, k: Int, groups: Int) -> [Float] {
        guard groups > 1 else { return weight }
        let (perGroup, outPerGroup) = (k / groups, n / groups)
        var unrolled = [Float](repeating: 0, count: n * k)
        for o in 0..<n {
            let start = o * k + o / outPerGroup * perGroup
            unrolled[start..<(start + perGroup)] = weight[(o * perGroup)..<((o + 1) * perGroup)]
        }
        return unrolled
    }

    /// A zeroed buffer of `count` values that `body` fills by GEMMs on the base addresses of `a`, `b` and
    /// the buffer; left zero when an operand is empty.
    private static func gemms(_ a: [Float], _ b: [Float], count: Int,
                                 _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var c = [Float](repeating: 0, count: count)
        guard !a.isEmpty, !b.isEmpty, count > 0 else { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in body(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!) }
            }
        }
        return c
    }
}
