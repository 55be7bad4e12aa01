#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C math functions the core uses, behind names that do not clash with the `Foundation` ones.

@usableFromInline func _log(_ x: Double) -> Double { log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { cos(x) }
@usableFromInline func _sin(_ x: Double) -> Double { sin(x) }

/// The product of `dimensions`, or nil when it overflows `Int` (shapes read from files).
public func checkedProduct(_ dimensions: [Int]) -> Int? {
    var product = 1
    for d in dimensions {
        let (next, overflow) = product.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        product = next
    }
    return product
}
