/// The element types the safetensors format defines (huggingface/safetensors, `Dtype`).
/// Sub-byte floats (F4, F6) are listed so files holding them can be opened and listed; they
/// cannot be converted to f32 here.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Codable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8E5M2 = "F8_E5M2", f8E4M3 = "F8_E4M3", f8E8M0 = "F8_E8M0"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"
    case f4 = "F4", f6E2M3 = "F6_E2M3", f6E3M2 = "F6_E3M2"

    /// Size of one element in bits.
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .f64, .i64, .u64: return 64
        }
    }

    /// Bytes needed for `elements` values; sub-byte types must fill whole bytes, as the
    /// format requires.
    public func byteCount(elements: Int) -> Int? {
        let bits = elements * bitWidth
        return bits % 8 == 0 ? bits / 8 : nil
    }
}
