import CLinearAlgebra
import TensorCore

// Singular value decompositions of a weight W [m, n] = [out, in] through LAPACKE.
//
// Two routes:
// - `fullSVD`: LAPACK's divide-and-conquer SVD (dgesdd in f64, or sgesdd in f32 as PyTorch's
//   CPU `torch.linalg.svd` does). The reference: every triplet, at O(m n min(m,n)) with a large
//   constant.
// - `partialSVD`: only the triplets at the requested positions of the spectrum, from the f64
//   Gram matrix G = W W^T (m <= n) or W^T W (m > n): one symmetric tridiagonal reduction
//   (dsytrd), the eigenvalues of the tridiagonal (dsterf, O(p^2)), its eigenvectors for the
//   wanted indices only (dstemr, MRRR), back-transformed by the reflectors (dormtr, O(p^2 r)).
//   The other side's vectors follow as W^T u / |W^T u| (or W v / |W v|), and sigma is that norm.
//   Squaring W squares its condition number, which is why G is formed and reduced in f64: the
//   eigenvalue error is about eps64 * sigma_max^2, so sigma_min keeps about
//   16 - 2 log10(sigma_max / sigma_min) digits, far beyond f32 for weight matrices.
//
// Positions are 0-based in the DESCENDING order of singular values (0 = largest), as
// `torch.linalg.svd` orders them.

/// Singular triplets of W [rows, columns] at chosen positions of its descending spectrum.
public struct SingularTriplets: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Positions, strictly increasing (0 = largest singular value).
    public var positions: [Int]
    /// sigma at each position.
    public var values: [Double]
    /// [k, rows]: row j is the left singular vector u at positions[j].
    public var left: Tensor
    /// [k, columns]: row j is the right singular vector v at positions[j].
    public var right: Tensor

    public init(rows: Int, columns: Int, positions: [Int], values: [Double], left: Tensor, right: Tensor) {
        precondition(positions.count == values.count && left.shape == [positions.count, rows]
                     && right.shape == [positions.count, columns], "inconsistent triplet shapes")
        precondition(zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 }, "positions must increase")
        self.rows = rows
        self.columns = columns
        self.positions = positions
        self.values = values
        self.left = left
        self.right = right
    }

    /// The triplets at `wanted` (increasing), or nil when some are not here.
    public func subset(_ wanted: [Int]) -> SingularTriplets? {
        var slot: [Int: Int] = [:]
        for (j, p) in positions.enumerated() { slot[p] = j }
        var rowsTaken: [Int] = []
        for p in wanted {
            guard let j = slot[p] else { return nil }
            rowsTaken.append(j)
        }
        return gather(rowsTaken)
    }

    /// Union with other triplets of the same matrix (ours kept where both have a position).
    public func merged(with other: SingularTriplets) -> SingularTriplets {
        precondition(rows == other.rows && columns == other.columns, "triplets of different matrices")
        var all: [(position: Int, fromSelf: Bool, row: Int)] = positions.enumerated().map { ($1, true, $0) }
        let mine = Set(positions)
        for (j, p) in other.positions.enumerated() where !mine.contains(p) { all.append((p, false, j)) }
        all.sort { $0.position < $1.position }
        var left = [Float](), right = [Float](), values = [Double]()
        left.reserveCapacity(all.count * rows)
        right.reserveCapacity(all.count * columns)
        for item in all {
            let source = item.fromSelf ? self : other
            left.append(contentsOf: source.left.row(item.row))
            right.append(contentsOf: source.right.row(item.row))
            values.append(source.values[item.row])
        }
        return SingularTriplets(rows: rows, columns: columns, positions: all.map(\.position), values: values,
                                left: Tensor(shape: [all.count, rows], storage: left),
                                right: Tensor(shape: [all.count, columns], storage: right))
    }

    func gather(_ rowsTaken: [Int]) -> SingularTriplets {
        var left = [Float](), right = [Float]()
        for j in rowsTaken {
            left.append(contentsOf: self.left.row(j))
            right.append(contentsOf: self.right.row(j))
        }
        return SingularTriplets(rows: rows, columns: columns, positions: rowsTaken.map { positions[$0] },
                                values: rowsTaken.map { values[$0] },
                                left: Tensor(shape: [rowsTaken.count, rows], storage: left),
                                right: Tensor(shape: [rowsTaken.count, columns], storage: right))
    }
}

/// A thin SVD W = U diag(S) V^T with k = min(m, n), in f64.
public struct FullSVD: Sendable {
    public let rows: Int
    public let columns: Int
    /// [m, k] row-major.
    public var u: [Double]
    /// k values, descending.
    public var values: [Double]
    /// [k, n] row-major: row j is v_j.
    public var vt: [Double]

    /// The triplets at `positions` (increasing), vectors rounded to f32.
    public func triplets(at positions: [Int]) -> SingularTriplets {
        let k = values.count
        var left = [Float](), right = [Float]()
        for p in positions {
            for i in 0..<rows { left.append(Float(u[i * k + p])) }
            right.append(contentsOf: vt[(p * columns)..<((p + 1) * columns)].map { Float($0) })
        }
        return SingularTriplets(rows: rows, columns: columns, positions: positions,
                                values: positions.map { values[$0] },
                                left: Tensor(shape: [positions.count, rows], storage: left),
                                right: Tensor(shape: [positions.count, columns], storage: right))
    }
}

public enum SVDPrecision: String, Sendable, CaseIterable {
    case single, double
}

/// Full thin SVD through LAPACK's divide-and-conquer driver (sgesdd / dgesdd).
/// `single` runs in f32 as `torch.linalg.svd` on an f32 CPU tensor does; the result is widened.
public func fullSVD(_ w: Tensor, precision: SVDPrecision = .double) throws -> FullSVD {
    precondition(w.rank == 2, "fullSVD needs a matrix, got \(w.shape)")
    let (m, n) = (w.shape[0], w.shape[1])
    let k = min(m, n)
    // Row-major W [m, n] is column-major W^T [n, m]; W^T = V S U^T, so LAPACK's "U" is our V
    // (columns v_j, i.e. row-major [k, n] = V^T) and its "VT" [k, m] column-major is our U [m, k].
    var s = [Double](repeating: 0, count: k)
    var vtOut = [Double](repeating: 0, count: n * k)
    var uOut = [Double](repeating: 0, count: k * m)
    var info: Int32 = 0
    switch precision {
    case .double:
        var a = w.storage.map { Double($0) }
        info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, lapackChar("S"), Int32(n), Int32(m), &a, Int32(n), &s,
                              &vtOut, Int32(n), &uOut, Int32(k))
    case .single:
        var a = w.storage
        var sf = [Float](repeating: 0, count: k)
        var vf = [Float](repeating: 0, count: n * k)
        var uf = [Float](repeating: 0, count: k * m)
        info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, lapackChar("S"), Int32(n), Int32(m), &a, Int32(n), &sf,
                              &vf, Int32(n), &uf, Int32(k))
        s = sf.map(Double.init)
        vtOut = vf.map(Double.init)
        uOut = uf.map(Double.init)
    }
    guard info == 0 else {
        throw AdaptersError.lapackFailed(routine: precision == .double ? "dgesdd" : "sgesdd", info: Int(info))
    }
    return FullSVD(rows: m, columns: n, u: uOut, values: s, vt: vtOut)
}

/// The result of the partial route: the wanted triplets and the whole spectrum (descending;
/// its small values only to about eps64 * sigma_max absolute, the triplets' own values are exact
/// norms).
public struct PartialSVD: Sendable {
    public var triplets: SingularTriplets
    public var spectrum: [Double]
}

/// Triplets at `positions` (any subset of 0..<min(m, n), in any order) through the f64 Gram
/// matrix; see the header of this file.
public func partialSVD(_ w: Tensor, positions requested: [Int]) throws -> PartialSVD {
    precondition(w.rank == 2, "partialSVD needs a matrix, got \(w.shape)")
    let (m, n) = (w.shape[0], w.shape[1])
    let p = min(m, n)
    let positions = Array(Set(requested)).sorted()
    precondition(positions.allSatisfy { $0 >= 0 && $0 < p }, "positions must lie in 0..<\(p)")
    let leftSide = m <= n  // eigenvectors of G are left singular vectors when G = W W^T
    let wd = w.storage.map { Double($0) }

    // G [p, p], lower triangle, column-major. Row-major W [m, n] is column-major X = W^T [n, m].
    // W W^T = X^T X (Trans); W^T W = X X^T (NoTrans).
    var gram = [Double](repeating: 0, count: p * p)
    cblas_dsyrk(CblasColMajor, CblasLower, leftSide ? CblasTrans : CblasNoTrans,
                Int32(p), Int32(leftSide ? n : m), 1, wd, Int32(n), 0, &gram, Int32(p))

    var diagonal = [Double](repeating: 0, count: p)
    var offDiagonal = [Double](repeating: 0, count: p)  // p - 1 used; dstemr wants p
    var tau = [Double](repeating: 0, count: max(1, p - 1))
    var info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, lapackChar("L"), Int32(p), &gram, Int32(p),
                              &diagonal, &offDiagonal, &tau)
    guard info == 0 else { throw AdaptersError.lapackFailed(routine: "dsytrd", info: Int(info)) }

    // The whole spectrum from the tridiagonal: O(p^2).
    var eigenvalues = diagonal
    var scratch = Array(offDiagonal.prefix(max(0, p - 1)))
    info = LAPACKE_dsterf(Int32(p), &eigenvalues, &scratch)
    guard info == 0 else { throw AdaptersError.lapackFailed(routine: "dsterf", info: Int(info)) }
    let spectrum = eigenvalues.reversed().map { max($0, 0).squareRoot() }

    // Eigenvectors of the tridiagonal for each contiguous run of positions. Position i is the
    // (p - i)-th smallest eigenvalue (1-based), and dstemr returns a run in ascending order.
    let k = positions.count
    var vectors = [Double](repeating: 0, count: p * k)  // column-major [p, k]
    var runStart = 0
    while runStart < k {
        var runEnd = runStart
        while runEnd + 1 < k && positions[runEnd + 1] == positions[runEnd] + 1 { runEnd += 1 }
        let count = runEnd - runStart + 1
        let lowIndex = Int32(p - positions[runEnd]), highIndex = Int32(p - positions[runStart])
        var d = diagonal, e = offDiagonal
        var found: Int32 = 0
        var values = [Double](repeating: 0, count: p)
        var z = [Double](repeating: 0, count: p * count)
        var support = [Int32](repeating: 0, count: 2 * count)
        var tryRelativeAccuracy: Int32 = 1
        info = LAPACKE_dstemr(LAPACK_COL_MAJOR, lapackChar("V"), lapackChar("I"), Int32(p), &d, &e, 0, 0,
                              lowIndex, highIndex, &found, &values, &z, Int32(p), Int32(count), &support,
                              &tryRelativeAccuracy)
        guard info == 0, found == Int32(count) else {
            throw AdaptersError.lapackFailed(routine: "dstemr", info: Int(info == 0 ? -999 : info))
        }
        // z column c holds eigen index lowIndex + c, i.e. position positions[runEnd] - c.
        for c in 0..<count {
            let slot = runEnd - c
            for i in 0..<p { vectors[slot * p + i] = z[c * p + i] }
        }
        runStart = runEnd + 1
    }
    if k > 0 {
        info = LAPACKE_dormtr(LAPACK_COL_MAJOR, lapackChar("L"), lapackChar("L"), lapackChar("N"),
                              Int32(p), Int32(k), &gram, Int32(p), tau, &vectors, Int32(p))
        guard info == 0 else { throw AdaptersError.lapackFailed(routine: "dormtr", info: Int(info)) }
    }

    // The other side: Y = E W (left side, Y [k, n]) or Y = E W^T (right side, Y [k, m]), with
    // E [k, p] row-major (= `vectors` column-major). sigma_j = |Y_j|, other vector = Y_j / sigma_j.
    let other = leftSide ? n : m
    var y = [Double](repeating: 0, count: k * other)
    if k > 0 {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, leftSide ? CblasNoTrans : CblasTrans,
                    Int32(k), Int32(other), Int32(p), 1, vectors, Int32(p), wd, Int32(n), 0, &y, Int32(other))
    }
    var values = [Double](repeating: 0, count: k)
    var otherVectors = [Float](repeating: 0, count: k * other)
    for j in 0..<k {
        var sum = 0.0
        for i in 0..<other { sum += y[j * other + i] * y[j * other + i] }
        let sigma = sum.squareRoot()
        values[j] = sigma
        // sigma == 0: the vector is arbitrary and its term sigma u v^T is zero; leave it zero.
        if sigma > 0 { for i in 0..<other { otherVectors[j * other + i] = Float(y[j * other + i] / sigma) } }
    }
    let gramVectors = Tensor(shape: [k, p], storage: vectors.map { Float($0) })
    let recovered = Tensor(shape: [k, other], storage: otherVectors)
    let triplets = SingularTriplets(rows: m, columns: n, positions: positions, values: values,
                                    left: leftSide ? gramVectors : recovered,
                                    right: leftSide ? recovered : gramVectors)
    return PartialSVD(triplets: triplets, spectrum: spectrum)
}

/// A LAPACK option letter as the C `char` LAPACKE takes.
@inline(__always) func lapackChar(_ letter: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: letter)) }
