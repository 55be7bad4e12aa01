// libFuzzer target: the YAML hardware-profile loader (`ProfileLoader.load(yaml:)`: syntax, `extends`, schema,
// decoding, validation). Run from the repository root: `extends` resolves against `HardwareProfiles/`, so a
// mutated profile can extend the bundled ones. A thrown error is a correct answer; a trap, a sanitizer
// report, a hang or an allocation beyond the limits the runner sets is a bug.
import ACIMProfiles
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : count), as: UTF8.self)
    _ = try? ProfileLoader.load(yaml: text, file: "input.yaml", directory: "HardwareProfiles")
    return 0
}
