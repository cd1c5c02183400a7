import Testing
import TensorCore
@testable import SyntheticWorld

@Suite struct GlyphAndRenderTests {
    @Test func fontHasThirtySixDistinctGlyphs() {
        #expect(BitmapFont.characters.count == 36)
        var patterns = Set<[Bool]>()
        for character in BitmapFont.characters {
            let dots = (0..<7).flatMap { row in (0..<5).map { BitmapFont.isInked(character, column: $0, row: row) } }
            #expect(dots.contains(true), "\(character) has no dots")
            patterns.insert(dots)
        }
        #expect(patterns.count == 36)
    }

    /// The renderer agrees with the scene graph: each shape's colour sits at its centre (where no
    /// character is printed) and the glyph's ink colour where a character's dot is.
    @Test func pixelsAgreeWithTheSceneGraph() {
        let sampler = SceneSampler(configuration: WorldConfiguration())
        var checkedGlyphs = 0
        for seed in 0..<40 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let scene = sampler.sample(&rng)
            let pixels = SceneRenderer.render(scene)
            func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(pixels[((y * scene.width + x) * 3)..<((y * scene.width + x) * 3 + 3)]) }
            for object in scene.objects {
                let (r, g, b) = object.color.rgb
                if let character = object.character {
                    // A dot of the glyph: the ink colour.
                    let scale = SceneRenderer.glyphScale(radius: object.radius)
                    let left = Int((object.centerX - Double(5 * scale) / 2).rounded()), top = Int((object.centerY - Double(7 * scale) / 2).rounded())
                    let (column, row) = (0..<35).map { ($0 % 5, $0 / 5) }.first { BitmapFont.isInked(character, column: $0.0, row: $0.1) }!
                    let (ir, ig, ib) = object.color.inkColor.rgb
                    #expect(pixel(left + column * scale, top + row * scale) == [ir, ig, ib])
                    checkedGlyphs += 1
                } else {
                    // Triangles' and stars' centroids are off the centre: sample slightly below for the triangle.
                    let dy = object.shape == .triangle ? Int(object.radius * 0.3) : 0
                    #expect(pixel(Int(object.centerX), Int(object.centerY) + dy) == [r, g, b], "seed \(seed) \(object.category)")
                }
            }
        }
        #expect(checkedGlyphs > 3)
    }

    @Test func objectsStayInsideTheirGridCells() {
        var configuration = WorldConfiguration()
        configuration.layout = .free
        let sampler = SceneSampler(configuration: configuration)
        for seed in 0..<50 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let scene = sampler.sample(&rng)
            let cell = Double(scene.width) / 3
            #expect(Set(scene.objects.map(\.position)).count == scene.objects.count)
            for object in scene.objects {
                #expect(object.centerX - object.radius >= Double(object.position.column) * cell - 1e-9)
                #expect(object.centerX + object.radius <= Double(object.position.column + 1) * cell + 1e-9)
                #expect(object.centerY - object.radius >= Double(object.position.row) * cell - 1e-9)
                #expect(object.centerY + object.radius <= Double(object.position.row + 1) * cell + 1e-9)
            }
        }
    }
}
