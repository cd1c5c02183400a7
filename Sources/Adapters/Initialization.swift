import Foundation
import TensorCore

// Adapter initialisations.
//
// - lora (PEFT's default, init_lora_weights=True): A ~ kaiming_uniform_(a=sqrt(5)), which for
//   A [R, in] is U(-1/sqrt(in), 1/sqrt(in)); B = 0.
// - gaussian (init_lora_weights="gaussian"): A ~ N(0, (1/R)^2); B = 0.
// - pissa / milora / mid / random, as sufenlp/MiLoRA svd_init.py `initialize_lora_layer` does
//   (and PEFT's `pissa_init` for the largest triplets): from W = U S V^T pick R triplets (largest,
//   smallest, the middle block starting at (k - R) / 2, or R random positions, sorted), then
//   S_sel /= scale; B = U_sel sqrt(S_sel); A = sqrt(S_sel) V_sel^T; W_res = W - scale B A.
//   svd_init.py fixes lora_alpha = rank inside that function (scale 1); the division by the
//   scale is its own comment's generalisation, and is what PEFT's pissa_init does.
//
// Random draws come from `SeededGenerator`, not PyTorch's generator: same statistics, other
// values.

public enum AdapterInitialization: String, Sendable, CaseIterable, CustomStringConvertible {
    case lora
    case gaussian
    case pissa
    case milora
    case mid
    case random

    public static let knownNames = allCases.map(\.rawValue)

    /// Also accepts svd_init.py's mode names: max, min.
    public init(name: String) throws {
        switch name.lowercased() {
        case "max": self = .pissa
        case "min": self = .milora
        case "kaiming", "true": self = .lora
        default:
            guard let value = AdapterInitialization(rawValue: name.lowercased()) else {
                throw AdaptersError.unknownInitialization(name)
            }
            self = value
        }
    }

    public var description: String { rawValue }

    /// True for the inits that decompose the base weight and replace it by a residual.
    public var usesSVD: Bool { ![.lora, .gaussian].contains(self) }

    /// Positions (0 = largest singular value, increasing) of the triplets this init selects.
    public func selectedPositions(count k: Int, rank r: Int, seed: UInt64) -> [Int] {
        precondition(r >= 1 && r <= k, "rank \(r) outside 1...\(k)")
        switch self {
        case .pissa, .lora, .gaussian: return Array(0..<r)
        case .milora: return Array((k - r)..<k)
        case .mid:
            let start = (k - r) / 2
            return Array(start..<(start + r))
        case .random:
            var generator = SeededGenerator(seed: seed)
            var pool = Array(0..<k)
            for i in 0..<r {  // partial Fisher-Yates: r distinct positions
                let j = i + Int(generator.next() % UInt64(k - i))
                pool.swapAt(i, j)
            }
            return pool.prefix(r).sorted()
        }
    }
}

/// Hyper-parameters of the adapters of one run (PEFT's LoraConfig subset we use).
public struct AdapterSettings: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    public var initialization: AdapterInitialization
    public var useRSLoRA: Bool
    public var seed: UInt64

    public init(rank: Int, alpha: Float? = nil, dropout: Float = 0.05, initialization: AdapterInitialization = .milora,
                useRSLoRA: Bool = false, seed: UInt64 = 42) {
        self.rank = rank
        self.alpha = alpha ?? Float(rank)
        self.dropout = dropout
        self.initialization = initialization
        self.useRSLoRA = useRSLoRA
        self.seed = seed
    }

    /// PEFT's scaling: alpha / r, or alpha / sqrt(r) with use_rslora.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// A per-module seed, independent of the order in which modules are processed.
    public func seed(forModule name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    public func checkRank(module: String, rows: Int, columns: Int) throws {
        guard rank >= 1 else { throw AdaptersError.invalidRank(module: module, rank: rank) }
        guard rank <= min(rows, columns) else {
            throw AdaptersError.rankTooLarge(module: module, rank: rank, rows: rows, columns: columns)
        }
    }
}

/// An initialised module: its adapter, and for SVD inits the residual base weight that must
/// replace W so that the model's output is unchanged.
public struct InitializedModule: Sendable {
    public var adapter: LowRankAdapter
    /// W - scale B A [out, in]; nil when the base weight stays as it is (lora, gaussian).
    public var residualWeight: Tensor?
}

/// lora / gaussian: random A, zero B. Needs only the weight's shape.
public func randomInitialization(module: String, outFeatures: Int, inFeatures: Int,
                                 settings: AdapterSettings) throws -> InitializedModule {
    try settings.checkRank(module: module, rows: outFeatures, columns: inFeatures)
    var generator = SeededGenerator(seed: settings.seed(forModule: module))
    let r = settings.rank
    let a: Tensor
    switch settings.initialization {
    case .gaussian:
        a = generator.normalTensor(shape: [r, inFeatures], std: 1 / Float(r))
    default:
        // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in).
        let gain = (2.0 / (1.0 + 5.0)).squareRoot()
        let bound = Float(gain * (3.0 / Double(inFeatures)).squareRoot())
        a = generator.uniformTensor(shape: [r, inFeatures], low: -bound, high: bound)
    }
    let adapter = LowRankAdapter(a: a, b: Tensor(zeros: [outFeatures, r]), scale: settings.scale,
                                 dropout: settings.dropout)
    return InitializedModule(adapter: adapter, residualWeight: nil)
}

/// The SVD inits' arithmetic on given triplets (selected positions of W [out, in]).
public func svdInitialization(weight: Tensor, triplets: SingularTriplets, settings: AdapterSettings) -> InitializedModule {
    precondition(weight.shape == [triplets.rows, triplets.columns], "triplets of another matrix")
    let r = triplets.positions.count
    let (m, n) = (triplets.rows, triplets.columns)
    let scale = settings.scale
    // S_sel /= scale; sqrt in f32 as svd_init.py does on its f32 SVD output.
    let roots = triplets.values.map { (Float($0) / scale).squareRoot() }
    var b = Tensor(zeros: [m, r])   // U_sel diag(sqrt S)
    for j in 0..<r { for i in 0..<m { b.storage[i * r + j] = triplets.left.storage[j * m + i] * roots[j] } }
    var a = Tensor(zeros: [r, n])   // diag(sqrt S) V_sel^T
    for j in 0..<r { for i in 0..<n { a.storage[j * n + i] = triplets.right.storage[j * n + i] * roots[j] } }
    let adapter = LowRankAdapter(a: a, b: b, scale: scale, dropout: settings.dropout)
    var residual = weight
    adapter.unmerge(from: &residual)  // W - scale B A
    return InitializedModule(adapter: adapter, residualWeight: residual)
}
