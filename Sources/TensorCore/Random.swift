// Seeded random numbers for initialisation, dropout and shuffling.
//
// Generator: xoshiro256** (Blackman & Vigna, 2018), its 256-bit state filled from the 64-bit
// seed with SplitMix64, the seeding procedure its authors recommend. Uniform floats take the
// top 24 bits of a draw (so every value is a multiple of 2^-24 in [0, 1)); normals use the
// Box-Muller transform on two uniform doubles. The same seed gives the same stream on every
// machine. The stream is NOT PyTorch's (mt19937/Philox): tests compare statistics, not draws.

public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    @inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// Uniform in [0, 1), a multiple of 2^-24.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [low, high).
    public mutating func nextUniform(low: Float, high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// Standard normal (mean 0, standard deviation 1) by Box-Muller.
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * log(max(1 - u1, Double.leastNormalMagnitude))).squareRoot()
        return Float(radius * cos(2 * Double.pi * u2))
    }

    public mutating func uniformTensor(shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = nextUniform(low: low, high: high) }
        return Tensor(shape: shape, storage: values)
    }

    public mutating func normalTensor(shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * nextNormal() }
        return Tensor(shape: shape, storage: values)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
