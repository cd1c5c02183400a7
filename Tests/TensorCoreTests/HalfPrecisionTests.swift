import Foundation
import Testing
@testable import TensorCore

@Suite struct HalfPrecisionTests {
    @Test func everyF16ValueWidensAsNumpy() throws {
        // numpy's float16 -> float32 for all 65536 bit patterns (IEEE 754 exact widening).
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("tensorcore", "f16_to_f32.bin")))
        #expect(data.count == 65536 * 4)
        var mismatches = 0
        for bits in 0..<65536 {
            let expected = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bits * 4, as: UInt32.self) }
            let ours = f16BitsToFloat(UInt16(bits))
            // Exact bits for every non-NaN. NaNs stay NaN with their sign and payload, but
            // signalling NaNs come back quiet (IEEE 754 6.2), where numpy keeps them signalling.
            let reference = Float(bitPattern: expected)
            if reference.isNaN {
                if !ours.isNaN || ours.sign != reference.sign || (ours.bitPattern | 0x0040_0000) != (expected | 0x0040_0000) { mismatches += 1 }
            } else if ours.bitPattern != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
        // Bulk conversion agrees with the scalar one.
        let all = (0..<65536).map { UInt16($0) }
        var out = [Float](repeating: 0, count: 65536)
        all.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { convertF16ToFloat(s.baseAddress!, $0.baseAddress!, count: 65536) } }
        #expect(zip(all, out).allSatisfy { f16BitsToFloat($0).bitPattern == $1.bitPattern })
    }

    @Test func f16NarrowingRoundTripsEveryValue() {
        for bits in 0..<65536 {
            let value = f16BitsToFloat(UInt16(bits))
            if value.isNaN { #expect(f16BitsToFloat(floatToF16Bits(value)).isNaN); continue }
            #expect(floatToF16Bits(value) == UInt16(bits))
        }
    }

    struct BF16Fixture: Decodable {
        var f32_bits: [UInt32]
        var bf16_bits: [UInt16]
    }

    @Test func bf16RoundingMatchesPyTorch() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("tensorcore", "bf16_rounding.json")))
        let fixture = try JSONDecoder().decode(BF16Fixture.self, from: data)
        #expect(fixture.f32_bits.count > 400)
        for (input, expected) in zip(fixture.f32_bits, fixture.bf16_bits) {
            let ours = floatToBF16Bits(Float(bitPattern: input))
            #expect(ours == expected, "f32 bits 0x\(String(input, radix: 16)) -> 0x\(String(ours, radix: 16)), PyTorch 0x\(String(expected, radix: 16))")
        }
    }

    @Test func bf16WideningIsExact() {
        for bits in stride(from: 0, to: 65536, by: 1) {
            let value = bf16BitsToFloat(UInt16(bits))
            #expect(value.bitPattern == UInt32(bits) << 16)
        }
    }
}
