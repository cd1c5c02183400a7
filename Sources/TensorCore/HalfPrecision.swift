// IEEE binary16 (f16) and bfloat16 (bf16) storage, converted to and from f32.
//
// f16 uses the standard library's Float16, whose conversions are IEEE-exact (f16 -> f32 is
// always exact; f32 -> f16 rounds to nearest even). bf16 is the top half of an f32: widening
// is a shift, narrowing rounds to nearest even exactly as PyTorch does. NaN: PyTorch's tensor
// conversion (`t.to(torch.bfloat16)`, its vectorised CPU kernel, which is what writes bf16
// checkpoints) turns every NaN into 0xFFFF; its scalar path gives 0x7FC0. We follow the tensor
// path. f16 -> f32 quiets signalling NaNs as IEEE 754 (and the F16C instruction) do; numpy's
// software conversion keeps the signalling bit instead. Both are NaN; no other value differs.

@inline(__always)
public func bf16BitsToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

@inline(__always)
public func floatToBF16Bits(_ value: Float) -> UInt16 {
    if value.isNaN { return 0xFFFF }
    let bits = value.bitPattern
    let roundingBias = UInt32(0x7FFF) &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
}

@inline(__always)
public func f16BitsToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

@inline(__always)
public func floatToF16Bits(_ value: Float) -> UInt16 {
    Float16(value).bitPattern
}

/// Widen `count` bf16 values to f32. The loop is a plain shift so the compiler vectorises it.
public func convertBF16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>,
                               count: Int) {
    let out = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt32.self)
    for i in 0..<count { out[i] = UInt32(source[i]) << 16 }
}

public func convertF16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>,
                              count: Int) {
    let halves = UnsafeRawPointer(source).assumingMemoryBound(to: Float16.self)
    for i in 0..<count { destination[i] = Float(halves[i]) }
}

public func convertFloatToBF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>,
                               count: Int) {
    for i in 0..<count { destination[i] = floatToBF16Bits(source[i]) }
}

public func convertFloatToF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>,
                              count: Int) {
    for i in 0..<count { destination[i] = floatToF16Bits(source[i]) }
}
