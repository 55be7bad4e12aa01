import Testing
@testable import ACIMCore

/// The integer GEMM is exact: on random 8-bit operands of every shape the engine uses (a single row up to
/// several chunks, depths and widths that are not multiples of the kernels' blocks) it equals the integer
/// product, and its exactness check admits exactly the operand ranges it may. Skipped where the path is off
/// (`ACIM_INTEGER_GEMM=off`, or no int8 kernel for the CPU): the engine tests then cover the sgemm path.
@Suite(.enabled(if: IntegerGEMM.status.isOn, "the integer GEMM path is off here"))
struct IntegerGEMMTests {
    @Test(arguments: [(1, 256, 256), (7, 256, 256), (32, 24, 16), (224, 256, 256), (5, 33, 17), (300, 512, 130)])
    func equalsTheIntegerProduct(shape: (Int, Int, Int)) throws {
        let (m, k, n) = shape
        var rng = RandomStream(seed: UInt64(m * 7 + k * 3 + n), purpose: .userInput)
        let a = (0..<m * k).map { _ in UInt8(rng.next() % 16) }
        let b = (0..<k * n).map { _ in Int8(Int(rng.next() % 255) - 127) }
        let packed = try #require(IntegerGEMM.PackedMatrix(rows: k, columns: n, values: b))
        var c = [Float](repeating: .nan, count: m * n)
        let done = a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { IntegerGEMM.multiply(a.baseAddress!, rows: m, by: packed, into: $0.baseAddress!) }
        }
        #expect(done)
        var wrong = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0
                for p in 0..<k { sum += Int(a[i * k + p]) * Int(b[p * n + j]) }
                if c[i * n + j] != Float(sum) { wrong += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(packed.packedBytes >= k * n)
    }

    /// Sums stay below 2^24, operands within 8 bits, and without VNNI a pair of products within 16 bits.
    @Test func exactnessBounds() throws {
        #expect(IntegerGEMM.isExact(maxA: 1, maxB: 15, depth: 512))
        #expect(IntegerGEMM.isExact(maxA: 255, maxB: 1, depth: 4096))
        #expect(!IntegerGEMM.isExact(maxA: 256, maxB: 1, depth: 1))
        #expect(!IntegerGEMM.isExact(maxA: 1, maxB: 128, depth: 1))
        #expect(!IntegerGEMM.isExact(maxA: 255, maxB: 127, depth: 1024))
        let pairs = IntegerGEMM.isExact(maxA: 255, maxB: 127, depth: 2)
        #expect(pairs == (IntegerGEMM.status.summation == .exact))
    }

    /// An empty product needs no kernel.
    @Test func noRowsIsNoWork() throws {
        let packed = try #require(IntegerGEMM.PackedMatrix(rows: 4, columns: 4, values: [Int8](repeating: 1, count: 16)))
        let a: [UInt8] = [1]
        var c: [Float] = [7]
        let done = a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { IntegerGEMM.multiply(a.baseAddress!, rows: 0, by: packed, into: $0.baseAddress!) }
        }
        #expect(done && c == [7])
    }
}

extension IntegerGEMMTests {
    /// Threads that run the same GEMM at once, each on its own data, all get exact products: every execution
    /// uses a scratchpad of its own thread, whichever thread made the primitive. Many short calls, so that
    /// executions overlap often.
    @Test func concurrentCallsStayExact() async throws {
        let (m, k, n) = (4, 64, 64)
        var rng = RandomStream(seed: 77, purpose: .userInput)
        let b = (0..<k * n).map { _ in Int8(Int(rng.next() % 31) - 15) }
        let packed = try #require(IntegerGEMM.PackedMatrix(rows: k, columns: n, values: b))
        // Per thread, its left operand and the exact product.
        let operands = (0..<4).map { _ in (0..<m * k).map { _ in UInt8(rng.next() % 16) } }
        let products = operands.map { a in
            (0..<m * n).map { index in
                Float((0..<k).reduce(0) { $0 + Int(a[index / n * k + $1]) * Int(b[$1 * n + index % n]) })
            }
        }
        let wrong = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var wrong = 0
                    var c = [Float](repeating: .nan, count: m * n)
                    for _ in 0..<20000 {
                        _ = operands[task].withUnsafeBufferPointer { a in
                            c.withUnsafeMutableBufferPointer { IntegerGEMM.multiply(a.baseAddress!, rows: m, by: packed, into: $0.baseAddress!) }
                        }
                        if c != products[task] { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }
}
