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
        let width = entries.count
        let storage = [Int32](unsafeUninitializedCapacity: rows * width) { cols, count in
            forEachBlockOfRows(width: width) { geometry, rows in
                codes.withUnsafeBufferPointer { codes in
                    acim_im2col_codes(codes.baseAddress!, geometry, Int64(rows.lowerBound), Int64(rows.count),
                                      Int64(entries.lowerBound), Int64(width), cols.baseAddress!)
                }
            }
            count = rows * width
        }
        return Matrix(rows: rows, columns: width, storage: storage)
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

    /// Calls `body` with the kernels' form of the geometry for blocks of patch rows that together cover every
    /// row, on the engines' threads (`BLAS.threadCount`), blocks of about 64 Ki entries of `width` each.
    func forEachBlockOfRows(width: Int, _ body: (UnsafePointer<acim_conv_geometry>, Range<Int>) -> Void) {
        withUnsafePointer(to: kernelGeometry) { geometry in
            let shape = Unchecked(value: geometry)
            Parallel.forEachRange(rows, threads: BLAS.threadCount, minimum: max(1, 65536 / max(1, width))) { _, rows in
                body(shape.value, rows)
            }
        }
    }
}
