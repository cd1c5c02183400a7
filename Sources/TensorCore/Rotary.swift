#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding in the rotate-half convention of transformers' LLaMA:
///   inv_freq[i] = 1 / theta^(2i / HS),  angle = position * inv_freq[i]  (f32, as transformers)
///   cos, sin  = cos/sin of [angle, angle]            (the two halves repeat)
///   x'        = x * cos + rotate_half(x) * sin,  rotate_half(x) = [-x2, x1]
/// Applied to a [T, NH, HS] buffer in place. `inverse` rotates by -angle, which is the
/// backward pass (the rotation is orthogonal).
public struct RotaryEmbedding: Sendable {
    public let headSize: Int
    public let theta: Float
    public let inverseFrequencies: [Float]

    public init(headSize: Int, theta: Float) {
        precondition(headSize % 2 == 0, "rotary head size must be even, got \(headSize)")
        self.headSize = headSize
        self.theta = theta
        inverseFrequencies = (0..<(headSize / 2)).map { i in
            1 / powf(theta, Float(2 * i) / Float(headSize))
        }
    }

    /// cos and sin of each position's angles, [positions.count, HS / 2] each.
    public func table(positions: [Int]) -> (cos: [Float], sin: [Float]) {
        let half = headSize / 2
        var cosines = [Float](repeating: 0, count: positions.count * half)
        var sines = cosines
        for (t, position) in positions.enumerated() {
            for i in 0..<half {
                let angle = Float(position) * inverseFrequencies[i]
                cosines[t * half + i] = cosf(angle)
                sines[t * half + i] = sinf(angle)
            }
        }
        return (cosines, sines)
    }

    /// Rotate x [T, NH, HS] in place; positions has T entries.
    public func apply(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, positions: [Int],
                      inverse: Bool = false) {
        precondition(positions.count == tokens, "\(positions.count) positions for \(tokens) tokens")
        let half = headSize / 2
        let (cosines, sines) = table(positions: positions)
        let sign: Float = inverse ? -1 : 1
        for t in 0..<tokens {
            for h in 0..<heads {
                let v = x + (t * heads + h) * headSize
                for i in 0..<half {
                    let (c, s) = (cosines[t * half + i], sign * sines[t * half + i])
                    let (x1, x2) = (v[i], v[i + half])
                    v[i] = x1 * c - x2 * s
                    v[i + half] = x2 * c + x1 * s
                }
            }
        }
    }

    public func apply(_ x: inout Tensor, heads: Int, positions: [Int], inverse: Bool = false) {
        precondition(x.count == positions.count * heads * headSize,
                     "rotary: tensor \(x.shape) is not [\(positions.count), \(heads), \(headSize)]")
        x.storage.withUnsafeMutableBufferPointer { buffer in
            apply(buffer.baseAddress!, tokens: positions.count, heads: heads, positions: positions, inverse: inverse)
        }
    }
}
