
import ACIMCore

/// The array the tests build when one array is enough.
let testArray = ArrayID(tile: 0, slot: 0)
