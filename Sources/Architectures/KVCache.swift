// Key/value cache for incremental decoding: per decoder layer, the rotated keys and the values

import TensorCore
// of every position seen so far, [S, NKV*HS] row-major, grown in place.

public struct KVCache: Sendable {
    private var keys: [[Float]]
    private var values: [[Float]]
    /// Row width NKV*HS.
    public let width: Int
    /// Positions cached (the next token's position).
    public private(set) var length = 0

    public init(layers: Int, width: Int, reservingTokens tokens: Int = 0) {
        self.width = width
        keys = (0..<layers).map { _ in [Float]() }
        values = keys
        if tokens > 0 {
            for i in 0..<layers {
                keys[i].reserveCapacity(tokens * width)
                values[i].reserveCapacity(tokens * width)
            }
        }
    }

    public var layerCount: Int { keys.count }

    /// Append T rows of keys and values [T, NKV*HS] for `layer`.
    mutating func append(layer: Int, keys newKeys: Tensor, values newValues: Tensor) {
        precondition(newKeys.lastDimension == width && newValues.shape == newKeys.shape, "cache rows must be \(width) wide")
        keys[layer].append(contentsOf: newKeys.storage)
        values[layer].append(contentsOf: newValues.storage)
    }

    /// Call `body(keys, values, S)` on everything cached for `layer`, including rows appended
    /// in the current step.
    func withLayer<R>(_ layer: Int, _ body: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> R) -> R {
        keys[layer].withUnsafeBufferPointer { k in
            values[layer].withUnsafeBufferPointer { v in
                body(k.baseAddress!, v.baseAddress!, k.count / width)
            }
        }
    }

    mutating func advance(by tokens: Int) {
        length += tokens
        precondition(keys.allSatisfy { $0.count == length * width }, "every layer must have cached \(length) positions")
    }

    /// Forget everything after the first `tokens` positions.
    public mutating func truncate(to tokens: Int) {
        precondition(tokens <= length, "cannot truncate a cache of \(length) to \(tokens)")
        for i in keys.indices {
            keys[i].removeLast((length - tokens) * width)
            values[i].removeLast((length - tokens) * width)
        }
        length = tokens
    }
}
