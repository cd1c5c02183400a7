import ArgumentParser
import CLinearAlgebra
import Foundation
import TensorCore

/// The project's matmul wrapper against a direct cblas_sgemm call on the same buffers, plus
/// the bandwidth of bf16 -> f32 widening (what loading mmapped bf16 weights costs).
struct GemmBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of matmul() beside direct cblas_sgemm for square and transformer shapes; GB/s of bf16 -> f32.")

    @Option(help: "Square sizes n (n x n times n x n).")
    var squareSizes: [Int] = [256, 512, 1024, 1536, 2048]

    @Option(help: "Tokens T for the transformer shapes (T x C times C x 4C).")
    var tokens = 512

    @Option(help: "Widths C for the transformer shapes.")
    var widths: [Int] = [1024, 2048, 4096]

    @Option(help: "Timed rounds per measurement; the fastest round counts.")
    var trials = 5

    func run() throws {
        print("threads: \(workerCount) worker(s); OpenBLAS threads: \(openblas_get_num_threads())")
        print("shape                          op   wrapper GFLOP/s   sgemm GFLOP/s   ratio")
        for n in squareSizes {
            report(label: "\(n)x\(n) * \(n)x\(n)", m: n, k: n, n: n, transposeB: false)
        }
        for c in widths {
            // Y = X W^T with W [4C, C] as a Linear layer stores it, and the plain X [T,C] * [C,4C].
            report(label: "\(tokens)x\(c) * \(c)x\(4 * c)", m: tokens, k: c, n: 4 * c, transposeB: false)
            report(label: "\(tokens)x\(c) * (\(4 * c)x\(c))^T", m: tokens, k: c, n: 4 * c, transposeB: true)
        }
        benchmarkBF16()
    }

    private func report(label: String, m: Int, k: Int, n: Int, transposeB: Bool) {
        var rng = SeededGenerator(seed: 1)
        let a = rng.uniformTensor(shape: [m, k], low: -1, high: 1)
        let b = rng.uniformTensor(shape: transposeB ? [n, k] : [k, n], low: -1, high: 1)
        var sink: Float = 0
        var c = [Float](repeating: 0, count: m * n)
        let wrapperCall = {
            let c = matmul(a, b, transposeB: transposeB)
            sink += c.storage[0]
        }
        let directCall = {
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                    blasint(m), blasint(n), blasint(k), 1, pa.baseAddress!, blasint(k),
                                    pb.baseAddress!, blasint(transposeB ? k : n), 0, pc.baseAddress!, blasint(n))
                    }
                }
            }
            sink += c[0]
        }
        let times = interleavedSecondsPerCall(trials: trials, [wrapperCall, directCall])
        let (wrapper, direct) = (times[0], times[1])
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let (wrapperRate, directRate) = (flops / wrapper / 1e9, flops / direct / 1e9)
        let op = transposeB ? "NT" : "NN"
        print("\(label.padding(toLength: 30, withPad: " ", startingAt: 0)) \(op)   \(formatted(wrapperRate).leftPadded(15))   \(formatted(directRate).leftPadded(13))   \(formatted(wrapperRate / directRate, 3))"
              + (sink.isNaN ? " " : ""))
    }

    private func benchmarkBF16() {
        let count = 16 * 1024 * 1024
        var rng = SeededGenerator(seed: 2)
        let source = (0..<count).map { _ in floatToBF16Bits(rng.nextUniform(low: -2, high: 2)) }
        var destination = [Float](repeating: 0, count: count)
        let seconds = secondsPerCall(trials: trials) {
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    convertBF16ToFloat(s.baseAddress!, d.baseAddress!, count: count)
                }
            }
        }
        let bytes = Double(count) * 6  // 2 read + 4 written per element
        print("bf16 -> f32, \(count) elements (one thread): \(formatted(bytes / seconds / 1e9, 2)) GB/s moved (\(formatted(Double(count) * 2 / seconds / 1e9, 2)) GB/s of bf16 read)")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
