import TensorCore

/// Central finite differences of a scalar function of one tensor, in f64 steps on f32 values.
/// Compares with an analytic gradient; returns the worst relative error
/// |num - ana| / max(1e-2, |num| + |ana|) over the checked elements.
func finiteDifferenceError(_ x: Tensor, analytic: Tensor, step: Float = 1e-2, maxElements: Int = 64,
                           _ f: (Tensor) -> Double) -> Double {
    var worst = 0.0
    let stride = max(1, x.count / maxElements)
    for i in Swift.stride(from: 0, to: x.count, by: stride) {
        var plus = x, minus = x
        plus.storage[i] += step
        minus.storage[i] -= step
        let numeric = (f(plus) - f(minus)) / (2 * Double(step))
        let a = Double(analytic.storage[i])
        worst = max(worst, abs(numeric - a) / max(1e-2, abs(numeric) + abs(a)))
    }
    return worst
}

/// sum(y * probe): a scalar whose gradient with respect to y is `probe`.
func dot(_ y: Tensor, _ probe: Tensor) -> Double {
    zip(y.storage, probe.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
