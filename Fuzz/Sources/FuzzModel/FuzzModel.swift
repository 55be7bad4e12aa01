// libFuzzer target: the model reader (`ModelFile.decode`: the safetensors container, the graph JSON in its
// metadata, the network and subtask masks it describes). A thrown error is a correct answer; a trap, a
// sanitizer report, a hang or an allocation beyond the limits the runner sets is a bug.
//
// An input is a model file, or, when it starts with `{`, a header JSON, a zero byte and the tensor data: the
// harness then writes the 8-byte header length itself, so that mutations which grow or shrink the header (and
// the graph JSON inside it) still reach the graph and the network instead of failing the length check.
import ACIMNetwork
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    if data.first == UInt8(ascii: "{") {
        let header = data.prefix { $0 != 0 }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { length in
            data = Data(length) + header + data.dropFirst(header.count + 1)
        }
    }
    _ = try? ModelFile.decode(data, path: "input.safetensors")
    return 0
}
