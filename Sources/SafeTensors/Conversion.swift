import TensorCore

/// Convert `count` elements of `dtype` stored little-endian in `raw` to f32.
func convertToFloat(_ raw: UnsafeRawBufferPointer, dtype: SafeTensorsDType, count: Int,
                    into out: UnsafeMutablePointer<Float>, tensorName: String) throws {
    guard count > 0 else { return }
    let base = raw.baseAddress!
    // Tensor data in a safetensors buffer is not guaranteed to be aligned for its type
    // (headers are padded to 8 bytes, but writers differ), so aligned loads are used only
    // when the address allows.
    func isAligned(_ alignment: Int) -> Bool { Int(bitPattern: base) % alignment == 0 }
    switch dtype {
    case .f32:
        memcpyFloats(out, base, count)
    case .bf16 where isAligned(2):
        convertBF16ToFloat(base.assumingMemoryBound(to: UInt16.self), out, count: count)
    case .bf16:
        for i in 0..<count { out[i] = bf16BitsToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .f16 where isAligned(2):
        convertF16ToFloat(base.assumingMemoryBound(to: UInt16.self), out, count: count)
    case .f16:
        for i in 0..<count { out[i] = f16BitsToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .f64:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
    case .i64:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
    case .u64:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
    case .i32:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
    case .u32:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
    case .i16:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
    case .u16:
        for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .i8:
        for i in 0..<count { out[i] = Float(Int8(bitPattern: raw[i])) }
    case .u8:
        for i in 0..<count { out[i] = Float(raw[i]) }
    case .bool:
        for i in 0..<count { out[i] = raw[i] != 0 ? 1 : 0 }
    case .f8E5M2, .f8E4M3, .f8E8M0, .f4, .f6E2M3, .f6E3M2:
        throw SafeTensorsError.unsupportedConversion(tensor: tensorName, dtype: dtype.rawValue)
    }
}

@inline(__always)
private func memcpyFloats(_ out: UnsafeMutablePointer<Float>, _ source: UnsafeRawPointer, _ count: Int) {
    UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
}
