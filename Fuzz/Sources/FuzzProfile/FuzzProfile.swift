// libFuzzer target: the YAML hardware-profile loader (`ProfileLoader.load(yaml:)`: syntax, `extends`, schema,
// decoding, validation). `extends` resolves against the seed corpus, run from the repository root, so a
// mutated profile can extend the bundled profiles copied there. A thrown error is a correct answer; a trap, a
// sanitizer report, a hang or an allocation beyond the limits the runner sets is a bug.
import ACIMProfiles
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : count), as: UTF8.self)
    _ = try? ProfileLoader.load(yaml: text, file: "input.yaml", directory: "Fuzz/corpus/profile")
    return 0
}
