import Foundation
import Testing
@testable import ACIMCore

/// The `.npy` reader on the fuzzing seed corpus (Fuzz/corpus/npy, written by NumPy) and on the inputs the
/// fuzzer found crashing it.
@Suite struct NPYTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/npy")

    func read(_ name: String) throws -> NPYArray {
        try NPYArray.read(path: Self.corpus.appendingPathComponent(name).path)
    }

    /// The reason of the `malformedFile` error reading `name` gives.
    func reason(_ name: String) -> String {
        do {
            _ = try read(name)
            return "accepted"
        } catch let ACIMError.malformedFile(_, reason) {
            return reason
        } catch { return "unexpected error \(error)" }
    }

    @Test(arguments: ["f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"])
    func readsEveryDtype(_ dtype: String) throws {
        let array = try read("valid-\(dtype)-2x3.npy")
        #expect(array.shape == [2, 3])
        #expect(array.values == [0, 1, 2, 3, 4, 5])
    }

    @Test func readsBooleansScalarsEmptyArraysAndLaterVersions() throws {
        #expect(try read("valid-b1-2x3.npy").values == [0, 1, 1, 0, 1, 0])
        #expect(try read("valid-f8-scalar.npy") == NPYArray(shape: [], values: [2.5]))
        #expect(try read("valid-f4-empty-0x3.npy") == NPYArray(shape: [0, 3], values: []))
        #expect(try read("valid-f4-vector.npy") == NPYArray(shape: [4], values: [0, 1, 2, 3]))
        #expect(try read("valid-f4-v2.npy") == NPYArray(shape: [3], values: [0, 1, 2]))
        #expect(try read("valid-f4-v3.npy") == NPYArray(shape: [3], values: [0, 1, 2]))
    }

    @Test func rejectsBrokenFiles() {
        #expect(reason("broken-magic.npy") == "not a .npy file (missing the \\x93NUMPY magic)")
        #expect(reason("broken-version.npy") == "unsupported format version 4 (expected 1, 2 or 3)")
        #expect(reason("broken-truncated-header.npy") == "truncated header")
        #expect(reason("broken-truncated-data.npy") == "truncated data: shape [2, 3] needs 24 bytes, file has 19")
        #expect(reason("broken-fortran.npy") == "fortran_order arrays are not supported (save with C order)")
        #expect(reason("broken-big-endian.npy").hasPrefix("unsupported dtype >f4"))
        #expect(reason("broken-complex.npy").hasPrefix("unsupported dtype <c8"))
    }

    /// Found by fuzzing: the element count of a declared shape overflowed `Int` and trapped.
    @Test func shapeWhoseSizeOverflowsIsAnError() {
        #expect(reason("regress-shape-overflow.npy")
            == "shape [3, 9223372036854775807] of <u8 needs more bytes than a file can hold")
    }

    /// The values are widened to `Double`: a file of bytes needs eight times its payload in memory.
    @Test func valuesThatDoNotFitInMemoryAreAResourceLimit() throws {
        let data = try Data(contentsOf: Self.corpus.appendingPathComponent("valid-u1-2x3.npy"))
        #expect(try NPYArray.parse(data, path: "a.npy", memory: 48).values == [0, 1, 2, 3, 4, 5])
        #expect(throws: ACIMError.resourceLimit("a.npy: the 6 values of shape [2, 3] take 6 x 8 bytes as Double, more than the 47 bytes of memory")) {
            try NPYArray.parse(data, path: "a.npy", memory: 47)
        }
    }

    @Test func writtenArraysReadBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let array = NPYArray(shape: [2, 2], values: [1.5, -2, 0, 1e-3])
        try array.write(path: path)
        #expect(try NPYArray.read(path: path) == array)
        try array.write(path: path, float32: true)
        #expect(try NPYArray.read(path: path).values == array.values.map { Double(Float($0)) })
    }
}
