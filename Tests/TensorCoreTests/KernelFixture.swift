import SafeTensors
import TensorCore

/// PyTorch / transformers reference values from Scripts/fixtures/make_tensorcore_fixtures.py.
enum KernelFixture {
    static let file: SafeTensorsFile = {
        do { return try SafeTensorsFile(path: fixturePath("tensorcore", "kernels.safetensors")) }
        catch { preconditionFailure("fixture missing: \(error)") }
    }()

    static func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }

    static func tags(_ prefix: String) -> [String] {
        Set(file.names.filter { $0.hasPrefix(prefix + ".") }.map { $0.split(separator: ".")[1] }).sorted().map(String.init)
    }
}

/// max |a - b| / max(1, max |b|): absolute near zero, relative for large values.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    let scale = max(1, b.storage.map(abs).max() ?? 0)
    return a.maxAbsDifference(b) / scale
}
