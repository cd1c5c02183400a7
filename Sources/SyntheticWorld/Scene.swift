// The scene graph: the ground truth every image, question and answer is derived from.

public enum ShapeKind: String, CaseIterable, Codable, Sendable {
    case circle, square, triangle, star, cross, diamond

    /// How often each shape is drawn: skewed so POPE's "popular" negatives differ from random ones.
    var frequency: Double {
        switch self {
        case .circle: return 0.24
        case .square: return 0.21
        case .triangle: return 0.18
        case .star: return 0.14
        case .cross: return 0.12
        case .diamond: return 0.11
        }
    }

    /// Shapes that can carry a printed character (the glyph fits inside them).
    var canCarryCharacter: Bool { self == .circle || self == .square }
}

public enum ColorName: String, CaseIterable, Codable, Sendable {
    case red, orange, yellow, green, blue, purple, pink, brown, gray, white, black

    public var rgb: (UInt8, UInt8, UInt8) {
        switch self {
        case .red: return (215, 38, 40)
        case .orange: return (245, 135, 25)
        case .yellow: return (245, 215, 40)
        case .green: return (40, 160, 60)
        case .blue: return (35, 85, 215)
        case .purple: return (130, 55, 175)
        case .pink: return (245, 125, 185)
        case .brown: return (125, 75, 35)
        case .gray: return (128, 128, 128)
        case .white: return (250, 250, 250)
        case .black: return (20, 20, 20)
        }
    }

    var frequency: Double {
        switch self {
        case .red: return 0.14
        case .blue: return 0.13
        case .green: return 0.12
        case .yellow: return 0.10
        case .orange: return 0.09
        case .purple: return 0.08
        case .white: return 0.08
        case .black: return 0.08
        case .pink: return 0.07
        case .gray: return 0.06
        case .brown: return 0.05
        }
    }

    /// Black or white, whichever reads better on this colour (for printed characters).
    var inkColor: ColorName {
        let (r, g, b) = rgb
        let luma = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
        return luma > 140 ? .black : .white
    }
}

public enum SizeClass: String, CaseIterable, Codable, Sendable {
    case small, large
}

/// A cell of the 3x3 layout grid; every object occupies its own cell.
public enum GridPosition: String, CaseIterable, Codable, Sendable {
    case topLeft = "top left", top = "top", topRight = "top right"
    case left = "left", center = "center", right = "right"
    case bottomLeft = "bottom left", bottom = "bottom", bottomRight = "bottom right"

    public var row: Int { Self.allCases.firstIndex(of: self)! / 3 }
    public var column: Int { Self.allCases.firstIndex(of: self)! % 3 }

    /// "in the top left", "at the center", "on the left".
    public var phrase: String {
        switch self {
        case .center: return "at the center"
        case .left, .right: return "on the \(rawValue)"
        case .top, .bottom: return "at the \(rawValue)"
        default: return "in the \(rawValue)"
        }
    }
}

public enum BackgroundStyle: String, Codable, Sendable {
    case solid, noise, gradient
}

public struct Background: Codable, Equatable, Sendable {
    public var name: String
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var style: BackgroundStyle

    static let tones: [(String, UInt8, UInt8, UInt8)] = [
        ("beige", 228, 216, 188), ("light gray", 205, 205, 205), ("light blue", 190, 214, 236),
        ("mint", 200, 232, 206), ("lavender", 222, 206, 236), ("dark gray", 70, 70, 78),
    ]
}

public struct SceneObject: Codable, Equatable, Sendable {
    public var shape: ShapeKind
    public var color: ColorName
    public var size: SizeClass
    public var position: GridPosition
    /// A printed letter or digit, if any ("A"..."Z", "0"..."9").
    public var character: String?
    /// Centre and half-extent in pixels (ground truth of where it was drawn).
    public var centerX: Double
    public var centerY: Double
    public var radius: Double

    /// POPE's object category: colour and shape ("red circle").
    public var category: String { "\(color.rawValue) \(shape.rawValue)" }
}

public struct Scene: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var background: Background
    /// Seed of the background noise (the rest of the pixels follow from the objects).
    public var noiseSeed: UInt64
    public var objects: [SceneObject]

    /// Distinct categories in first-appearance order (POPE's per-image object list).
    public var categories: [String] {
        var seen = Set<String>(), result: [String] = []
        for object in objects where seen.insert(object.category).inserted { result.append(object.category) }
        return result
    }

    public func objects(shape: ShapeKind? = nil, color: ColorName? = nil, size: SizeClass? = nil) -> [SceneObject] {
        objects.filter { ($0.shape == shape || shape == nil) && ($0.color == color || color == nil) && ($0.size == size || size == nil) }
    }

    public func object(at position: GridPosition) -> SceneObject? {
        objects.first { $0.position == position }
    }
}
