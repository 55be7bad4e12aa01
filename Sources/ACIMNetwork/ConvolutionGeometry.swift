import ACIMCore
import CKernels

/// The shapes of a convolution over a batch: its input (NCHW), kernel, strides, padding and dilation, and
/// its output; the im2col patches it unrolls into have `rows` rows (one per output pixel, row `(n*Ho +
/// oy)*Wo + ox`) of `patch` entries (entry `(c*kh + ky)*kw + kx`).
public struct ConvolutionGeometry: Sendable {
    public let batch, channels, height, width: Int
    public let kernelHeight, kernelWidth, strideY, strideX, padTop, padLeft, dilationY, dilationX: Int
    public let outHeight, outWidth: Int

    /// Entries of one patch.
    public var patch: Int { channels * kernelHeight * kernelWidth }
    /// Patches of the batch.
    public var rows: Int { batch * outHeight * outWidth }

    /// The entries `entries` of every patch of the batch of integer codes `codes` (NCHW), as a `rows x
    /// entries.count` matrix, 0 where a patch covers the padding: what a block of a weight matrix holding
    /// those patch rows reads, expanded straight from the layer's codes.
    public func patchCodes(_ codes: [Int32], entries: Range<Int>) -> Matrix<Int32> {
        precondition(codes.count == batch * channels * height * width && entries.clamped(to: 0..<patch) == entries,
                     "patch codes: \(codes.count) codes, entries \(entries) of \(patch)")
        let storage = [Int32](unsafeUninitializedCapacity: rows * entries.count) { cols, count in
            codes.withUnsafeBufferPointer { expand($0, entries: entries, into: cols.baseAddress!) }
            count = rows * entries.count
        }
        return Matrix(rows: rows, columns: entries.count, storage: storage)
    }

    /// The whole patches of the batch of values `x` (NCHW), as rows: im2col, the same copy as `patchCodes`
    /// on the values' bits (the padding's 0 is +0.0).
    func patches(_ x: [Float]) -> [Float] {
        precondition(x.count == batch * channels * height * width, "patches: \(x.count) values")
        return [Float](unsafeUninitializedCapacity: rows * patch) { cols, count in
            x.withUnsafeBufferPointer { x in
                x.withMemoryRebound(to: Int32.self) { words in
                    cols.withMemoryRebound(to: Int32.self) { expand(words, entries: 0..<patch, into: $0.baseAddress!) }
                }
            }
            count = rows * patch
        }
    }

    /// Writes entries `entries` of every patch of `source` to `cols` (`rows x entries.count`), in blocks of
    /// rows on the engines' threads (`BLAS.threadCount`), about 64 Ki entries a block.
    private func expand(_ source: UnsafeBufferPointer<Int32>, entries: Range<Int>, into cols: UnsafeMutablePointer<Int32>) {
        let width = entries.count
        withUnsafePointer(to: kernelGeometry) { geometry in
            Parallel.forEachRange(rows, threads: BLAS.threadCount, minimum: max(1, 65536 / max(1, width))) { _, rows in
                acim_im2col(source.baseAddress!, geometry, Int64(rows.lowerBound), Int64(rows.count),
                            Int64(entries.lowerBound), Int64(width), cols)
            }
        }
    }

    /// The geometry as the kernels take it.
    var kernelGeometry: acim_conv_geometry {
        acim_conv_geometry(
            batch: Int64(batch), channels: Int64(channels), height: Int64(height), width: Int64(width),
            kernel_height: Int64(kernelHeight), kernel_width: Int64(kernelWidth), stride_y: Int64(strideY),
            stride_x: Int64(strideX), pad_top: Int64(padTop), pad_left: Int64(padLeft),
            dilation_y: Int64(dilationY), dilation_x: Int64(dilationX), out_height: Int64(outHeight),
            out_width: Int64(outWidth))
    }
}
