import Foundation

/// FNV-1a 64 of `bytes`: a short fingerprint that tells whether a file changed.
public func fnv1a64(_ bytes: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
