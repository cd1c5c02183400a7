#if canImport(Glibc)
import Glibc
#endif

/// Learning-rate schedules as transformers' `get_scheduler` defines them; the multiplier is
/// applied to each parameter group's base rate. Step counts are optimizer steps.
public enum ScheduleKind: String, CaseIterable, Sendable, Codable {
    case cosine, linear, constant
    case constantWithWarmup = "constant_with_warmup"
}

public struct LearningRateSchedule: Sendable, Codable, Equatable {
    public var kind: ScheduleKind
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(kind: ScheduleKind, warmupSteps: Int, totalSteps: Int) {
        self.kind = kind
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Warmup steps from a ratio, as TrainingArguments.get_warmup_steps: ceil(total * ratio).
    public init(kind: ScheduleKind, warmupRatio: Double, totalSteps: Int) {
        self.init(kind: kind, warmupSteps: Int((Double(totalSteps) * warmupRatio).rounded(.up)), totalSteps: totalSteps)
    }

    /// Multiplier of the base learning rate used for optimizer step `step` (0-based: the
    /// scheduler's value before its step() is called for the step-th time).
    public func multiplier(at step: Int) -> Double {
        let (s, w, n) = (Double(step), Double(warmupSteps), Double(totalSteps))
        switch kind {
        case .constant:
            return 1
        case .constantWithWarmup:
            return step < warmupSteps ? s / max(1, w) : 1
        case .linear:
            if step < warmupSteps { return s / max(1, w) }
            return max(0, (n - s) / max(1, n - w))
        case .cosine:
            if step < warmupSteps { return s / max(1, w) }
            let progress = (s - w) / max(1, n - w)
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }
}
