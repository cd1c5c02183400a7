import Testing
import TensorCore
@testable import SyntheticWorld

/// Per-patch labels for the tower's own pretraining, checked against the scene graph.
@Suite struct PatchLabelTests {
    /// Scenes of 72 px: cells of 24 px.
    var sampler: SceneSampler {
        var configuration = WorldConfiguration()
        configuration.imageSize = 72
        return SceneSampler(configuration: configuration)
    }

    @Test func cellAlignedPatchesCarryTheirCellsObject() {
        // 72 px, patch 24: one patch per cell of the 3x3 grid, so every object labels exactly its
        // own cell and empty cells say "nothing" (0).
        let labeller = PatchLabeller(imageSize: 72, patchSize: 24)
        for seed in 0..<200 {
            let scene = sampler.sample(seed: UInt64(seed))
            let labels = labeller.labels(scene)
            #expect(labels.count == 4 && labels.allSatisfy { $0.count == 9 })
            var expected = [[Int32]](repeating: [Int32](repeating: 0, count: 9), count: 4)
            for object in scene.objects {
                let p = object.position.row * 3 + object.position.column
                expected[0][p] = Int32(ShapeKind.allCases.firstIndex(of: object.shape)! + 1)
                expected[1][p] = Int32(ColorName.allCases.firstIndex(of: object.color)! + 1)
                expected[2][p] = Int32(SizeClass.allCases.firstIndex(of: object.size)! + 1)
                expected[3][p] = object.character.map { c in Int32(PatchLabeller.characters.firstIndex(of: Character(c))! + 1) } ?? 0
            }
            #expect(labels == expected, "scene \(seed)")
        }
    }

    @Test func smallPatchesAreLabelledByCoverage() {
        // 72 px, patch 8: a patch is labelled when the object's centre is in it or its disc covers
        // the patch centre; patches far from every object are "nothing".
        let labeller = PatchLabeller(imageSize: 72, patchSize: 8)
        for seed in 0..<50 {
            let scene = sampler.sample(seed: UInt64(seed))
            let shapes = labeller.labels(scene)[0]
            #expect(shapes.count == 81)
            for py in 0..<9 { for px in 0..<9 {
                let (cx, cy) = (Double(px * 8) + 4, Double(py * 8) + 4)
                let gaps: [Double] = scene.objects.map { object in
                    let (dx, dy) = (object.centerX - cx, object.centerY - cy)
                    return (dx * dx + dy * dy).squareRoot() - object.radius
                }
                let nearest = gaps.min() ?? .infinity
                if nearest > 8 { #expect(shapes[py * 9 + px] == 0) }
                if nearest < -1 { #expect(shapes[py * 9 + px] != 0) }
            } }
            for object in scene.objects {
                let p = Int(object.centerY / 8) * 9 + Int(object.centerX / 8)
                #expect(shapes[p] == Int32(ShapeKind.allCases.firstIndex(of: object.shape)! + 1))
            }
        }
    }
}
