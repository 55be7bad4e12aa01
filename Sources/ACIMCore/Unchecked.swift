/// A value handed to parallel workers (`Parallel.forEach`, `DispatchQueue.concurrentPerform`) that each touch their own
/// part of it, which the compiler cannot see.
public struct Unchecked<Value>: @unchecked Sendable {
    public let value: Value

    public init(value: Value) { self.value = value }
}
