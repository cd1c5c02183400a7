import CLinearAlgebra

// Matrix products. Every product goes through OpenBLAS sgemm; `naiveMatmul` is the slow,
// obviously-correct triple loop kept beside it for tests.
//
// The three products a linear layer needs, for X [T, in] and W [out, in]:
//   forward        Y  = X W^T    matmul(x, w, transposeB: true)
//   input grad     dX = dY W     matmul(dy, w)
//   weight grad    dW = dY^T X   matmul(dy, x, transposeA: true)   (accumulated with beta 1)

/// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, all row-major. op(A) is A or A^T.
/// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
@inline(__always)
public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        // BLAS leaves C untouched when k == 0 only if beta == 1; make the semantics explicit.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Shape of op(A) op(B) for rank-2 operands, checked.
@inline(__always)
func productDimensions(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool)
    -> (m: Int, n: Int, k: Int) {
    precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == kb, "inner dimensions differ: op(A) is \(m)x\(k), op(B) is \(kb)x\(n)")
    return (m, n, k)
}

/// op(A) op(B) as a new [m, n] tensor.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (m, n, k) = productDimensions(a, b, transposeA: transposeA, transposeB: transposeB)
    // beta == 0: sgemm never reads C, so the output need not be zero-filled first.
    let out = [Float](unsafeUninitializedCapacity: m * n) { buffer, initialized in
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                      c: buffer.baseAddress!, ldc: n)
            }
        }
        initialized = m * n
    }
    return Tensor(shape: [m, n], storage: out)
}

/// C += alpha * op(A) op(B): gradient accumulation without a temporary.
public func matmulAccumulate(_ c: inout Tensor, _ a: Tensor, _ b: Tensor, alpha: Float = 1,
                             transposeA: Bool = false, transposeB: Bool = false) {
    let (m, n, k) = productDimensions(a, b, transposeA: transposeA, transposeB: transposeB)
    precondition(c.shape == [m, n], "accumulator is \(c.shape), product is [\(m), \(n)]")
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                      a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                      beta: 1, c: pc.baseAddress!, ldc: n)
            }
        }
    }
}

/// Reference product by the definition, accumulated in f64. For tests only.
public func naiveMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (m, n, k) = productDimensions(a, b, transposeA: transposeA, transposeB: transposeB)
    var out = Tensor(zeros: [m, n])
    let (ac, bc) = (a.shape[1], b.shape[1])
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let x = transposeA ? a.storage[p * ac + i] : a.storage[i * ac + p]
                let y = transposeB ? b.storage[j * bc + p] : b.storage[p * bc + j]
                sum += Double(x) * Double(y)
            }
            out.storage[i * n + j] = Float(sum)
        }
    }
    return out
}
