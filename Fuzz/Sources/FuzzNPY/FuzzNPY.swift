// libFuzzer target: the `.npy` reader (`NPYArray.parse`). A thrown error is a correct answer; a trap, a
// sanitizer report, a hang or an allocation beyond the limits the runner sets is a bug.
import ACIMCore
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? NPYArray.parse(data, path: "input.npy")
    return 0
}
