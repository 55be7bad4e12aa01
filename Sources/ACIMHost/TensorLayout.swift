import ACIMChip
import ACIMCore

/// Where each element of a tensor sits on the chip: a tile and a byte address in its tile memory, for every
/// index of the tensor's shape (row-major).
public enum TensorLayout: Sendable, CustomStringConvertible {
    /// The elements in linear order, `elementsPerTile` to a tile, on `tiles` in order, each tile's part
    /// from byte `base`.
    case blockedLinear(elementsPerTile: Int, tiles: [Int], base: Int = 0)
    /// Dimension `dimension` split into `tiles.count` contiguous parts of `ceil(size / parts)`, one per tile;
    /// within a tile the part is row-major from byte `base`, each innermost row padded to a multiple of
    /// `rowAlignment` bytes.
    case splitDimension(dimension: Int, tiles: [Int], base: Int = 0, rowAlignment: Int = 1)
    /// Any placement: `locate(index, shape)` gives the tile and byte address of the element at `index`.
    case custom(name: String, locate: @Sendable (_ index: [Int], _ shape: [Int]) -> (tile: Int, address: Int))

    public var description: String {
        switch self {
        case let .blockedLinear(elements, tiles, base):
            "blocked:\(elements)@\(tiles.map(String.init).joined(separator: ","))" + (base == 0 ? "" : "+\(base)")
        case let .splitDimension(dimension, tiles, base, alignment):
            "split:\(dimension)@\(tiles.map(String.init).joined(separator: ","))" + (base == 0 ? "" : "+\(base)")
                + (alignment == 1 ? "" : ":align=\(alignment)")
        case let .custom(name, _): name
        }
    }

    /// The tiles the layout names.
    public var tiles: [Int] {
        switch self {
        case let .blockedLinear(_, tiles, _), let .splitDimension(_, tiles, _, _): tiles
        case .custom: []
        }
    }

    /// Checks the layout against `shape` on a chip of `chipTiles` tiles.
    func validate(shape: [Int], chipTiles: Int, name: String) throws {
        let count = shape.reduce(1, *)
        for tile in tiles where !(0..<chipTiles).contains(tile) {
            throw ACIMError.invalidParameter(name: name, value: "tile \(tile)", expected: "tiles in 0..<\(chipTiles)")
        }
        switch self {
        case let .blockedLinear(elements, tiles, base):
            guard elements > 0, base >= 0, !tiles.isEmpty else {
                throw ACIMError.invalidParameter(name: name, value: description,
                                                 expected: "elements per tile > 0, a base >= 0 and at least one tile")
            }
            guard elements * tiles.count >= count else {
                throw ACIMError.invalidParameter(name: name, value: description,
                                                 expected: "room for \(count) elements: \(ceilDiv(count, elements)) tiles of \(elements)")
            }
        case let .splitDimension(dimension, tiles, base, alignment):
            guard shape.indices.contains(dimension) else {
                throw ACIMError.invalidParameter(name: name, value: description, expected: "a dimension in 0..<\(shape.count)")
            }
            guard !tiles.isEmpty, tiles.count <= shape[dimension], base >= 0, alignment >= 1 else {
                throw ACIMError.invalidParameter(name: name, value: description,
                                                 expected: "1...\(shape[dimension]) tiles (dimension \(dimension) has \(shape[dimension])), a base >= 0 and an alignment >= 1")
            }
        case .custom:
            break
        }
    }

    /// A function giving the tile and address of every element of `shape` by index, with `elementSize`
    /// bytes per element.
    func locator(shape: [Int], elementSize es: Int) -> ([Int], Int) -> (tile: Int, address: Int) {
        switch self {
        case let .blockedLinear(elements, tiles, base):
            return { _, l in (tiles[l / elements], base + (l % elements) * es) }
        case let .splitDimension(dimension, tiles, base, alignment):
            let part = ceilDiv(shape[dimension], tiles.count)
            var local = shape
            local[dimension] = part
            let rowBytes = local.last! * es
            let pitch = ceilDiv(rowBytes, alignment) * alignment
            return { index, _ in
                var row = 0
                for d in 0..<(index.count - 1) { row = row * local[d] + (d == dimension ? index[d] % part : index[d]) }
                let column = dimension == index.count - 1 ? index.last! % part : index.last!
                return (tiles[index[dimension] / part], base + row * pitch + column * es)
            }
        case let .custom(_, locate):
            return { index, _ in locate(index, shape) }
        }
    }
}
