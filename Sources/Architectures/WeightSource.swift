import SafeTensors
import TensorCore
import Layers

/// Strict reads from one checkpoint. Models ask for each tensor by its file key and shape;
/// every missing or mis-shaped key is recorded (a zero placeholder keeps construction going),
/// and `finish()` adds every key nobody asked for, then throws one error listing them all.
/// Matrices stay memory-mapped in their file dtype; small vectors are converted to f32.
final class WeightSource {
    let checkpoint: SafeTensorsCheckpoint
    private(set) var report: WeightReport
    private var consumed = Set<String>()
    /// Keys the checkpoint may hold that no model part reads (CLIP's text tower, rotary caches).
    private let isIgnorable: (String) -> Bool

    init(path: String, ignoring isIgnorable: @escaping (String) -> Bool = { _ in false }) throws {
        do {
            checkpoint = try SafeTensorsCheckpoint(path: path)
        } catch let error as SafeTensorsError {
            throw ArchitecturesError.checkpoint(path: path, underlying: error)
        }
        report = WeightReport(path: path)
        self.isIgnorable = { key in
            key.hasSuffix(".rotary_emb.inv_freq") || key.hasSuffix("embeddings.position_ids") || isIgnorable(key)
        }
    }

    func contains(_ key: String) -> Bool { checkpoint.contains(key) }

    /// Mark a present key as deliberately unused (e.g. lm_head.weight of a tied model).
    func skip(_ key: String) { consumed.insert(key) }

    /// A weight of `shape` (checked), viewed as `view` (same element count; defaults to shape).
    func matrix(_ key: String, shape: [Int], view: [Int]? = nil) -> WeightMatrix {
        let view = view ?? shape
        guard let info = check(key, shape: shape) else { return WeightMatrix(Tensor(zeros: view)) }
        if let type = WeightElementType(rawValue: info.dtype.rawValue),
           let file = try? checkpoint.file(containing: key), let raw = try? file.rawBytes(key), let base = raw.baseAddress {
            return WeightMatrix(mapped: base, type: type, shape: view, owner: file)
        }
        return WeightMatrix(dense(key, info: info).reshaped(view))
    }

    /// A small tensor (norm weights, biases, embeddings of positions) converted to f32.
    func tensor(_ key: String, shape: [Int]) -> Tensor {
        guard let info = check(key, shape: shape) else { return Tensor(zeros: shape) }
        return dense(key, info: info)
    }

    func finish() -> WeightReport {
        report.unexpected = checkpoint.names.filter { !consumed.contains($0) && !isIgnorable($0) }
        return report
    }

    private func check(_ key: String, shape: [Int]) -> TensorInfo? {
        consumed.insert(key)
        guard let info = try? checkpoint.info(key) else {
            report.missing.append(key)
            return nil
        }
        guard info.shape == shape else {
            report.misshapen.append(.init(key: key, expected: shape, found: info.shape))
            return nil
        }
        return info
    }

    private func dense(_ key: String, info: TensorInfo) -> Tensor {
        guard let tensor = try? checkpoint.tensor(key) else {
            report.unreadable.append("\(key) (\(info.dtype.rawValue))")
            return Tensor(zeros: info.shape)
        }
        return tensor
    }
}

/// Throw one error for all sources that disagree with their model.
func throwIfMismatched(_ reports: [WeightReport]) throws {
    let failed = reports.filter { !$0.isEmpty }
    if !failed.isEmpty { throw ArchitecturesError.weightMismatch(failed) }
}
