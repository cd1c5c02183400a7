// Resizing RGB8 exactly as Pillow's `Image.resize(size, resample)` does for mode "RGB" with no box.
// Mirrors python-pillow/Pillow src/libImaging/Resample.c: per output pixel a window of the input
// (support scaled by the downscale factor), double-precision weights normalised to sum 1, then
// converted to fixed point with PRECISION_BITS = 22 and accumulated in 32-bit integers; a horizontal
// pass (only over the rows the vertical pass reads) rounds and clips to uint8, then a vertical pass.
// A pass whose size does not change is skipped. Pillow 13.0 (the reference; newer than the source
// read) runs the vertical pass first when the height shrinks and 2 * (width - outWidth) <
// height - outHeight; that order was found by matching it byte for byte on 458 random size pairs
// (Scripts/fixtures/make_imaging_fixtures.py keeps resize cases on both sides of the rule).
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TensorCore

/// PIL's `Image.Resampling` numbering, as `resample` in preprocessor_config.json uses it.
public enum ResampleFilter: Int, Sendable, CaseIterable {
    case nearest = 0, lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

    /// Half-width of the filter at scale 1.
    var support: Double {
        switch self {
        case .nearest, .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    @inline(__always) func weight(_ value: Double) -> Double {
        var x = value
        switch self {
        case .nearest, .box:
            return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear:
            if x < 0 { x = -x }
            return x < 1 ? 1 - x : 0
        case .hamming:
            if x < 0 { x = -x }
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            x *= Double.pi
            // Pillow writes the constants as C floats (0.54f, 0.46f).
            return sin(x) / x * (Double(Float(0.54)) + Double(Float(0.46)) * cos(x))
        case .bicubic:  // Keys cubic with a = -0.5
            let a = -0.5
            if x < 0 { x = -x }
            if x < 1 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            guard -3.0 <= x && x < 3.0 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ value: Double) -> Double {
        if value == 0 { return 1 }
        let x = value * Double.pi
        return sin(x) / x
    }
}

/// Fixed-point weights of one resampling direction: for output index i, taps
/// weights[i * taps ..< i * taps + count[i]] apply to input indices first[i]...
struct ResampleWeights {
    static let precisionBits = 32 - 8 - 2

    let taps: Int
    var first: [Int]
    var count: [Int]
    var weights: [Int32]

    /// first[i], count[i] interleaved, for the kernels' inner loops.
    var spans: [Int] { (0..<first.count).flatMap { [first[$0], count[$0]] } }

    /// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize).
    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        taps = Int(support.rounded(.up)) * 2 + 1
        first = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Int32](repeating: 0, count: outSize * taps)
        let inverseScale = 1.0 / filterScale
        let one = Double(1 << Self.precisionBits)
        var k = [Double](repeating: 0, count: taps)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverseScale)
                k[x] = w
                total += w
            }
            for x in 0..<max(xmax, 0) {
                let w = total != 0 ? k[x] / total : k[x]
                weights[xx * taps + x] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
            }
            first[xx] = xmin
            count[xx] = max(xmax, 0)
        }
    }
}

extension RGBImage {
    /// This image resized to width x height as Pillow's `resize((width, height), filter)` does.
    /// Nearest-neighbour is a different code path in Pillow and is not supported here.
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResampleFilter) -> RGBImage {
        precondition(outWidth > 0 && outHeight > 0, "resize target must be positive, got \(outWidth)x\(outHeight)")
        precondition(filter != .nearest, "nearest-neighbour resizing is not implemented")
        if outWidth == width && outHeight == height { return self }
        let vertical = ResampleWeights(inSize: height, outSize: outHeight, filter: filter)
        if outHeight < height && 2 * (width - outWidth) < height - outHeight {
            let shrunk = verticalPass(outHeight: outHeight, weights: vertical, rowOffset: 0)
            return outWidth == width ? shrunk : shrunk.horizontalPass(rows: 0..<outHeight, outWidth: outWidth, filter: filter)
        }
        var source = self
        var rowOffset = 0
        if outWidth != width {
            // Only rows the vertical pass reads: [first used, last used).
            let firstRow = vertical.first[0]
            let lastRow = vertical.first[outHeight - 1] + vertical.count[outHeight - 1]
            let rows = outHeight != height ? lastRow - firstRow : height
            let start = outHeight != height ? firstRow : 0
            source = horizontalPass(rows: start..<(start + rows), outWidth: outWidth, filter: filter)
            rowOffset = start
        }
        if outHeight == height { return source }
        return source.verticalPass(outHeight: outHeight, weights: vertical, rowOffset: rowOffset)
    }

    /// [rows.count, outWidth, 3] from rows `rows` of self.
    private func horizontalPass(rows: Range<Int>, outWidth: Int, filter: ResampleFilter) -> RGBImage {
        let coefficients = ResampleWeights(inSize: width, outSize: outWidth, filter: filter)
        let taps = coefficients.taps
        let half = Int32(1 << (ResampleWeights.precisionBits - 1))
        var out = [UInt8](repeating: 0, count: rows.count * outWidth * 3)
        let inStride = width * 3
        let spans = coefficients.spans
        pixels.withUnsafeBufferPointer { input in
            coefficients.weights.withUnsafeBufferPointer { weights in
                spans.withUnsafeBufferPointer { spanBuffer in
                    out.withUnsafeMutableBufferPointer { output in
                        let (inBase, outBase, kBase, span) = (input.baseAddress!, output.baseAddress!, weights.baseAddress!,
                                                              spanBuffer.baseAddress!)
                        parallelFor(rows.count, minimumChunk: 16) { chunk in
                            for r in chunk {
                                let line = inBase + (rows.lowerBound + r) * inStride
                                var target = outBase + r * outWidth * 3
                                for xx in 0..<outWidth {
                                    var k = kBase + xx * taps
                                    var p = line + span[2 * xx] * 3
                                    var (s0, s1, s2) = (half, half, half)
                                    for _ in 0..<span[2 * xx + 1] {
                                        let w = k.pointee
                                        s0 &+= Int32(p[0]) &* w
                                        s1 &+= Int32(p[1]) &* w
                                        s2 &+= Int32(p[2]) &* w
                                        p += 3
                                        k += 1
                                    }
                                    target[0] = clip8(s0)
                                    target[1] = clip8(s1)
                                    target[2] = clip8(s2)
                                    target += 3
                                }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: rows.count, pixels: out)
    }

    /// [outHeight, width, 3]; output row yy reads rows weights.first[yy] - rowOffset ... of self.
    private func verticalPass(outHeight: Int, weights vertical: ResampleWeights, rowOffset: Int) -> RGBImage {
        let taps = vertical.taps
        let rowLength = width * 3
        let half = Int32(1 << (ResampleWeights.precisionBits - 1))
        var out = [UInt8](repeating: 0, count: outHeight * rowLength)
        pixels.withUnsafeBufferPointer { input in
            vertical.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { output in
                    let (inBase, outBase, kBase) = (input.baseAddress!, output.baseAddress!, weights.baseAddress!)
                    parallelFor(outHeight, minimumChunk: 16) { chunk in
                        // Integer sums are exact, so accumulating tap by tap over a whole row gives
                        // Pillow's per-pixel sums while reading memory in order.
                        var sums = [Int32](repeating: 0, count: rowLength)
                        sums.withUnsafeMutableBufferPointer { accumulator in
                            let acc = accumulator.baseAddress!
                            for yy in chunk {
                                acc.update(repeating: half, count: rowLength)
                                let k = kBase + yy * taps
                                let firstRow = vertical.first[yy] - rowOffset
                                for y in 0..<vertical.count[yy] {
                                    let w = k[y]
                                    let line = inBase + (firstRow + y) * rowLength
                                    for x in 0..<rowLength { acc[x] &+= Int32(line[x]) &* w }
                                }
                                let target = outBase + yy * rowLength
                                for x in 0..<rowLength { target[x] = clip8(acc[x]) }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: outHeight, pixels: out)
    }
}

/// Pillow's clip8: the fixed-point sum shifted down and clamped to 0...255.
@inline(__always) private func clip8(_ sum: Int32) -> UInt8 {
    let value = sum >> Int32(ResampleWeights.precisionBits)
    return value < 0 ? 0 : (value > 255 ? 255 : UInt8(truncatingIfNeeded: value))
}
