/// A dense row-major matrix stored contiguously.
public struct Matrix<Element>: Sendable where Element: Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major elements, `rows * columns` of them.
    public var storage: [Element]

    @inlinable
    public init(rows: Int, columns: Int, repeating value: Element) {
        precondition(rows >= 0 && columns >= 0, "negative matrix dimension")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// Wraps row-major `storage`; its count must equal `rows * columns`.
    @inlinable
    public init(rows: Int, columns: Int, storage: [Element]) {
        precondition(storage.count == rows * columns, "storage count \(storage.count) != \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Builds a matrix by evaluating `element(row, column)` for every position.
    @inlinable
    public init(rows: Int, columns: Int, _ element: (Int, Int) throws -> Element) rethrows {
        var values: [Element] = []
        values.reserveCapacity(rows * columns)
        for r in 0..<rows {
            for c in 0..<columns { values.append(try element(r, c)) }
        }
        self.init(rows: rows, columns: columns, storage: values)
    }

    @inlinable
    public subscript(row: Int, column: Int) -> Element {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// The elements of one row.
    @inlinable
    public func row(_ r: Int) -> ArraySlice<Element> {
        storage[(r * columns)..<((r + 1) * columns)]
    }

    /// The transpose.
    public func transposed() -> Matrix<Element> {
        Matrix(rows: columns, columns: rows) { r, c in self[c, r] }
    }

    /// Applies `transform` to every element.
    @inlinable
    public func map<T>(_ transform: (Element) throws -> T) rethrows -> Matrix<T> {
        Matrix<T>(rows: rows, columns: columns, storage: try storage.map(transform))
    }
}

extension Matrix: Equatable where Element: Equatable {}

/// A matrix of numbers is saved with its elements as bytes (`Packed`).
extension Matrix: Codable where Element: PackableElement {
    private enum CodingKeys: String, CodingKey { case rows, columns, storage }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try container.decode(Int.self, forKey: .rows)
        let columns = try container.decode(Int.self, forKey: .columns)
        let storage = try container.decode(Packed<Element>.self, forKey: .storage).wrappedValue
        let count = rows.multipliedReportingOverflow(by: columns)
        guard rows >= 0, columns >= 0, !count.overflow, count.partialValue == storage.count else {
            throw DecodingError.dataCorruptedError(forKey: .storage, in: container,
                                                   debugDescription: "\(storage.count) elements for a \(rows)x\(columns) matrix")
        }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(columns, forKey: .columns)
        try container.encode(Packed(wrappedValue: storage), forKey: .storage)
    }
}
