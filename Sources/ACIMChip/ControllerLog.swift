/// The device controller's event log, bounded: the newest `capacity` events are kept in a ring, so a year
/// of one-minute checks runs in flat memory; `recorded` counts every event ever appended.
public struct ControllerLog: Sendable, Codable, Equatable {
    public let capacity: Int
    /// Events appended so far, kept or not.
    public private(set) var recorded = 0
    private var ring: [ControllerEvent] = []

    public init(capacity: Int) { self.capacity = max(0, capacity) }

    /// Events dropped to stay within the capacity.
    public var dropped: Int { recorded - ring.count }

    /// The kept events, oldest first.
    public var events: [ControllerEvent] {
        guard ring.count == capacity, capacity > 0 else { return ring }
        let start = recorded % capacity
        return Array(ring[start...] + ring[..<start])
    }

    public mutating func append(_ event: ControllerEvent) {
        defer { recorded += 1 }
        guard capacity > 0 else { return }
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[recorded % capacity] = event
        }
    }
}
