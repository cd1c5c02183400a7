import TensorCore

/// How scenes are drawn. The defaults make a 72x72 world of 1-4 shapes: 24-pixel cells of a 3x3
/// grid, so that a tower with 24-pixel patches sees one cell per patch.
public struct WorldConfiguration: Codable, Equatable, Sendable {
    public enum Layout: String, Codable, CaseIterable, Sendable {
        /// Objects sit at their cell's centre (plus a pixel of jitter).
        case grid
        /// Objects move freely inside their cell.
        case free
        /// Each scene picks grid or free.
        case mixed
    }

    public var imageSize: Int = 72
    public var minObjects: Int = 1
    public var maxObjects: Int = 4
    /// Probability that a large circle or square carries a printed character.
    public var characterProbability: Double = 0.5
    public var layout: Layout = .mixed
    /// Probability that a scene's colours come from one palette and its shapes from one
    /// family: this creates the co-occurrence structure POPE's adversarial negatives exploit.
    public var themeProbability: Double = 0.6

    public init() {}

    public func validate() throws {
        guard imageSize >= 24 && imageSize <= 1024 else {
            throw SyntheticWorldError.invalidOption(name: "image-size", reason: "must be between 24 and 1024 pixels, got \(imageSize)")
        }
        guard minObjects >= 1, maxObjects <= 9, minObjects <= maxObjects else {
            throw SyntheticWorldError.invalidOption(name: "objects", reason: "need 1 <= min <= max <= 9 objects, got \(minObjects)...\(maxObjects)")
        }
        for (name, p) in [("character-probability", characterProbability), ("theme-probability", themeProbability)] where !(0...1).contains(p) {
            throw SyntheticWorldError.invalidOption(name: name, reason: "must be a probability in [0, 1], got \(p)")
        }
    }
}

/// Colour palettes and shape families that tend to appear together.
private let palettes: [[ColorName]] = [
    [.red, .orange, .yellow, .pink, .brown],
    [.blue, .green, .purple, .gray],
    [.white, .black, .gray, .red],
]
private let shapeFamilies: [[ShapeKind]] = [
    [.circle, .star, .diamond],
    [.square, .cross, .triangle],
]

public struct SceneSampler: Sendable {
    public var configuration: WorldConfiguration

    public init(configuration: WorldConfiguration) { self.configuration = configuration }

    /// A scene with `objectCount` objects (nil: uniform in min...max). With `distinctCategories`
    /// no two objects share colour and shape (POPE needs 3 distinct categories per image).
    public func sample(_ rng: inout SeededGenerator, objectCount: Int? = nil, distinctCategories: Bool = false) -> Scene {
        let size = configuration.imageSize
        let tone = rng.pick(Background.tones)
        let style: BackgroundStyle = [.solid, .noise, .gradient][rng.weightedIndex([0.45, 0.35, 0.2])]
        let background = Background(name: tone.0, red: tone.1, green: tone.2, blue: tone.3, style: style)
        let count = objectCount ?? rng.int(in: configuration.minObjects...configuration.maxObjects)
        let themed = rng.chance(configuration.themeProbability)
        let palette = themed ? rng.pick(palettes) : ColorName.allCases
        let family = themed ? rng.pick(shapeFamilies) : ShapeKind.allCases
        let free: Bool
        switch configuration.layout {
        case .grid: free = false
        case .free: free = true
        case .mixed: free = rng.chance(0.5)
        }
        let cells = rng.sample(GridPosition.allCases, count: min(count, 9))
        let cell = Double(size) / 3
        var objects: [SceneObject] = []
        var used = Set<String>()
        for position in cells {
            var shape: ShapeKind, color: ColorName
            var attempts = 0
            repeat {
                shape = family[rng.weightedIndex(family.map(\.frequency))]
                color = palette[rng.weightedIndex(palette.map(\.frequency))]
                attempts += 1
                // Colours too close to the background would be invisible: redraw from all colours.
                if colorDistance(color, background) < 90 {
                    color = ColorName.allCases[rng.weightedIndex(ColorName.allCases.map(\.frequency))]
                }
            } while (colorDistance(color, background) < 90 || (distinctCategories && used.contains("\(color.rawValue) \(shape.rawValue)")))
                && attempts < 64
            if colorDistance(color, background) < 90 { color = background.red > 128 ? .black : .white }
            used.insert("\(color.rawValue) \(shape.rawValue)")
            let sizeClass: SizeClass = rng.chance(0.55) ? .large : .small
            let radius = cell * (sizeClass == .large ? 0.47 : 0.28)
            let slack = max(0, cell / 2 - radius - 1)
            let jitter = free ? slack : min(1, slack)
            let cx = (Double(position.column) + 0.5) * cell + Double(rng.nextUniform(low: Float(-jitter), high: Float(jitter)))
            let cy = (Double(position.row) + 0.5) * cell + Double(rng.nextUniform(low: Float(-jitter), high: Float(jitter)))
            var character: String? = nil
            if sizeClass == .large && shape.canCarryCharacter && rng.chance(configuration.characterProbability) {
                character = rng.pick(BitmapFont.characters)
            }
            objects.append(SceneObject(shape: shape, color: color, size: sizeClass, position: position, character: character,
                                       centerX: cx, centerY: cy, radius: radius))
        }
        return Scene(width: size, height: size, background: background, noiseSeed: rng.next(), objects: objects)
    }

    /// A POPE image: at least three distinct object categories.
    public func samplePOPEScene(_ rng: inout SeededGenerator) -> Scene {
        let count = rng.int(in: 3...max(3, min(4, configuration.maxObjects)))
        return sample(&rng, objectCount: count, distinctCategories: true)
    }
}

func colorDistance(_ color: ColorName, _ background: Background) -> Double {
    let (r, g, b) = color.rgb
    let dr = Double(r) - Double(background.red), dg = Double(g) - Double(background.green), db = Double(b) - Double(background.blue)
    return (dr * dr + dg * dg + db * db).squareRoot()
}

extension SceneSampler {
    /// The scene `vlm-data render --seed` draws (stream "render", item 0).
    public func sample(seed: UInt64) -> Scene {
        var rng = SeededGenerator(seed: derivedSeed(seed, stream: "render", index: 0))
        return sample(&rng)
    }
}
