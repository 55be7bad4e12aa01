// libFuzzer target: the ONNX importer (`ONNXImport.decode`). A thrown error is a correct answer; a trap, a
// sanitizer report, a hang or an allocation beyond the limits the runner sets is a bug.
import ACIMONNX
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? ONNXImport.decode(data, path: "input.onnx")
    return 0
}
