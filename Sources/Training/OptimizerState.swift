import Foundation
import SafeTensors
import TensorCore

/// AdamW state <-> safetensors (`optimizer.safetensors` in a checkpoint): for parameter NAME the
/// tensors `NAME.exp_avg` and `NAME.exp_avg_sq` (PyTorch's state names) and `NAME.step` (I64).
extension AdamW {
    public func records() -> [TensorRecord] {
        state.keys.sorted().flatMap { name -> [TensorRecord] in
            let moments = state[name]!
            let count = moments.first.count
            return [TensorRecord(name: name + ".exp_avg", tensor: Tensor(shape: [count], storage: moments.first)),
                    TensorRecord(name: name + ".exp_avg_sq", tensor: Tensor(shape: [count], storage: moments.second)),
                    TensorRecord(name: name + ".step", int64s: [Int64(moments.step)], shape: [1])]
        }
    }

    public mutating func restore(from file: SafeTensorsFile) throws {
        var saved: [String: Moments] = [:]
        for name in file.names where name.hasSuffix(".step") {
            let parameter = String(name.dropLast(".step".count))
            let first = try file.tensor(parameter + ".exp_avg").storage
            let second = try file.tensor(parameter + ".exp_avg_sq").storage
            guard first.count == second.count, let step = try file.integers(name).first else {
                throw CheckpointError.corrupt(path: file.path, reason: "optimizer state of '\(parameter)' is inconsistent")
            }
            saved[parameter] = Moments(step: Int(step), first: first, second: second)
        }
        restore(saved)
    }
}
