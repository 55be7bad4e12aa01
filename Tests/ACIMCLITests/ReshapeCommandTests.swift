import Foundation
import Testing

/// `acim reshape`: a reshape compiled, scheduled and compared with the DRAM round trip; bad layouts refused.
@Suite struct ReshapeCommandTests {
    /// The digits model's flatten moved from tile 0 to tile 6 of the default chip: one 512-byte chunk over
    /// 3 hops, 8 + 3 x 2 + 512 / 32 = 30 cycles against 100 + 1024 / 16 = 164 for the round trip.
    @Test func flattenAcrossTheMesh() throws {
        let run = acim(["reshape", "--profile", defaultProfile, "--in", "32,2,2", "--out", "128",
                        "--in-layout", "blocked@0", "--out-layout", "blocked@6"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.output.contains("chunks       1: 0 no-op, 0 local, 0 neighbour, 1 routed"))
        #expect(run.output.contains("cost         30 cycles, 1.81 nJ"))
        #expect(run.output.contains("DRAM trip    164 cycles, 42.0 nJ"))
        #expect(run.output.contains("saved        134 cycles (81.7%)"))
    }

    /// A swap of two tiles' halves in place, scheduled exactly: one chunk staged through a buffer.
    @Test func inPlaceSwapAsJSON() throws {
        let run = acim(["reshape", "--profile", defaultProfile, "--in", "2,64", "--out", "-1", "--mode", "exact", "--json",
                        "--in-layout", "blocked@0,2", "--out-layout", "blocked@2,0"])
        #expect(run.exitCode == 0, "\(run)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
        #expect(report["outShape"] as? [Int] == [128])
        #expect(report["staged"] as? [Int] == [0])
        #expect(report["optimal"] as? Bool == true)
        #expect((report["buffers"] as! [[String: Any]]).map { $0["bytes"] as? Int } == [256])
        #expect((report["descriptors"] as! [Any]).count == 3)
    }

    @Test func badInputIsNamed() {
        let base = ["reshape", "--profile", defaultProfile, "--in", "32,2,2", "--out", "128"]
        let cases: [([String], String)] = [
            (["--in-layout", "blocked@0", "--out-layout", "blocked@99"], "--out-layout blocked@99: tiles must be distinct and in 0..<16"),
            (["--in-layout", "blocked", "--out-layout", "blocked@1"], "--in-layout blocked: no @TILES"),
            (["--in-layout", "split:7@0", "--out-layout", "blocked@1"], "input layout"),
            (["--in-layout", "blocked:10@0", "--out-layout", "blocked@1"], "room for 128 elements"),
            (["--in-layout", "blocked@0", "--out-layout", "blocked@1", "--mode", "best"], "--mode: expected greedy or exact, got best"),
        ]
        for (extra, message) in cases {
            let run = acim(base + extra)
            #expect(run.exitCode != 0 && run.failure.contains(message), "\(run)")
        }
        let shape = acim(["reshape", "--in", "32,0", "--out", "1", "--in-layout", "blocked@0", "--out-layout", "blocked@1"])
        #expect(shape.failure.contains("--in 32,0: expected up to 8 comma-separated dimensions"), "\(shape)")
        let count = acim(["reshape", "--in", "32", "--out", "5,-1", "--in-layout", "blocked@0", "--out-layout", "blocked@1"])
        #expect(count.failure.contains("output shape"), "\(count)")
    }
}
