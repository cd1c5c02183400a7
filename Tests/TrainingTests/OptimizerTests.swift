import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Training

/// AdamW, clipping and schedules against torch.optim.AdamW, clip_grad_norm_ and transformers'
/// get_scheduler (Scripts/fixtures/make_training_fixtures.py).
@Suite struct OptimizerTests {
    @Test func adamWWithGroupsAndClippingMatchesPyTorch() throws {
        let file = try SafeTensorsFile(path: fixturePath("training", "adamw.safetensors"))
        var p1 = try file.tensor("init.p1"), p2 = try file.tensor("init.p2")
        var optimizer = AdamW()
        for step in 0..<5 {
            var gradients = [try file.tensor("step\(step).grad.p1"), try file.tensor("step\(step).grad.p2")]
            let norm = clipGradientNorm(&gradients, maxNorm: 1.0)
            let expectedNorm = try file.tensor("step\(step).norm").storage[0]
            #expect(abs(norm - expectedNorm) <= 1e-6 * expectedNorm, "step \(step) norm")
            #expect(gradients[0].maxAbsDifference(try file.tensor("step\(step).clipped.p1")) < 1e-7)
            optimizer.update(&p1, name: "p1", gradient: gradients[0], learningRate: 2e-3, weightDecay: 0)
            optimizer.update(&p2, name: "p2", gradient: gradients[1], learningRate: 5e-4, weightDecay: 0.1)
            #expect(p1.maxAbsDifference(try file.tensor("step\(step).after.p1")) < 1e-6, "step \(step) p1")
            #expect(p2.maxAbsDifference(try file.tensor("step\(step).after.p2")) < 1e-6, "step \(step) p2")
        }
        #expect(optimizer.state["p1"]?.step == 5)
    }

    @Test func clippingDisabledLeavesGradients() {
        var gradients = [Tensor(shape: [2], storage: [30, 40])]
        #expect(clipGradientNorm(&gradients, maxNorm: 0) == 50)
        #expect(gradients[0].storage == [30, 40])
    }

    struct Schedules: Decodable {
        struct Entry: Decodable { var kind: String; var total: Int; var ratio: Double; var warmup: Int; var values: [Double] }
        var schedules: [String: Entry]
    }

    @Test func schedulesMatchTransformers() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("training", "schedules.json")))
        let fixture = try JSONDecoder().decode(Schedules.self, from: data)
        #expect(fixture.schedules.count == 16)
        for (key, entry) in fixture.schedules {
            let kind = try #require(ScheduleKind(rawValue: entry.kind))
            let schedule = LearningRateSchedule(kind: kind, warmupRatio: entry.ratio, totalSteps: entry.total)
            #expect(schedule.warmupSteps == entry.warmup, "\(key) warmup")
            for (step, expected) in entry.values.enumerated() {
                #expect(abs(schedule.multiplier(at: step) - expected) < 1e-12, "\(key) step \(step)")
            }
        }
    }
}
