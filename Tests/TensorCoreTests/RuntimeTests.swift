import CJPEG
import CLinearAlgebra
import CPNG
import Testing
@testable import TensorCore

@Suite struct RuntimeTests {
    @Test func parallelForVisitsEveryIndexOnce() {
        for count in [0, 1, 7, 1000, 4097] {
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress
                parallelFor(count) { range in for i in range { base![i] += 1 } }
            }
            #expect(hits.allSatisfy { $0 == 1 })
        }
    }

    @Test func seededGeneratorIsReproducibleAndHasTheRightMoments() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        var rng = SeededGenerator(seed: 7)
        let n = 200_000
        let uniforms = (0..<n).map { _ in Double(rng.nextUniform()) }
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        let uMean = uniforms.reduce(0, +) / Double(n)
        #expect(abs(uMean - 0.5) < 0.005)                            // sd of the mean ~ 0.00065
        let normals = (0..<n).map { _ in Double(rng.nextNormal()) }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
    }

    @Test func systemLibrariesLink() {
        // LAPACKE: eigenvalues of a symmetric 2x2 [[2,1],[1,2]] are 1 and 3.
        var matrix: [Double] = [2, 1, 1, 2]
        var eigenvalues = [Double](repeating: 0, count: 2)
        let info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "U")), 2, &matrix, 2, &eigenvalues)
        #expect(info == 0)
        #expect(abs(eigenvalues[0] - 1) < 1e-12 && abs(eigenvalues[1] - 3) < 1e-12)
        #expect(png_access_version_number() >= 10600)
        var errors = jpeg_error_mgr()
        #expect(jpeg_std_error(&errors) != nil)
    }
}
