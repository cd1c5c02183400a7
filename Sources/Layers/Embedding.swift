import TensorCore

/// Token embedding lookup (torch.nn.Embedding): ids [T] -> rows of the table [V, C].
public struct Embedding: @unchecked Sendable {
    /// [V, C]
    public var weight: WeightMatrix

    public struct Saved {
        public let ids: [Int]
    }

    public init(weight: WeightMatrix) {
        precondition(weight.shape.count == 2, "embedding table must be [V, C], got \(weight.shape)")
        self.weight = weight
    }

    public var vocabularySize: Int { weight.shape[0] }
    public var width: Int { weight.shape[1] }

    /// ids [T] (each in 0..<V) -> [T, C]
    public func forward(_ ids: [Int]) -> (output: Tensor, saved: Saved) {
        let width = self.width
        var out = [Float](repeating: 0, count: ids.count * width)
        out.withUnsafeMutableBufferPointer { buffer in
            for (t, id) in ids.enumerated() {
                precondition(id >= 0 && id < vocabularySize, "token id \(id) outside the vocabulary of \(vocabularySize)")
                weight.convertRows(id..<(id + 1), into: buffer.baseAddress! + t * width)
            }
        }
        return (Tensor(shape: [ids.count, width], storage: out), Saved(ids: ids))
    }

    public func callAsFunction(_ ids: [Int]) -> Tensor { forward(ids).output }
}
