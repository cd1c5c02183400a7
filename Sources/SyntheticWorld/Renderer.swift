import TensorCore

/// Rasterises a scene to RGB8 (row-major R, G, B; width * height * 3 bytes).
/// Shapes are anti-aliased by 4x4 supersampling of their coverage; characters are drawn as
/// solid blocks of `scale` pixels per font dot, centred on their shape.
public enum SceneRenderer {
    public static func render(_ scene: Scene) -> [UInt8] {
        let width = scene.width, height = scene.height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        paintBackground(scene, into: &pixels)
        for object in scene.objects {
            paintShape(object, width: width, height: height, into: &pixels)
            if let character = object.character { paintCharacter(character, on: object, width: width, height: height, into: &pixels) }
        }
        return pixels
    }

    private static func paintBackground(_ scene: Scene, into pixels: inout [UInt8]) {
        let bg = scene.background
        var rng = SeededGenerator(seed: scene.noiseSeed)
        let base = [Double(bg.red), Double(bg.green), Double(bg.blue)]
        for y in 0..<scene.height {
            // Gradient: from 12% lighter at the top to 12% darker at the bottom.
            let shade = bg.style == .gradient ? 1.12 - 0.24 * Double(y) / Double(max(1, scene.height - 1)) : 1
            for x in 0..<scene.width {
                let noise = bg.style == .noise ? Double(rng.nextNormal()) * 7 : 0
                for c in 0..<3 {
                    pixels[(y * scene.width + x) * 3 + c] = clampByte(base[c] * shade + noise)
                }
            }
        }
    }

    private static func paintShape(_ object: SceneObject, width: Int, height: Int, into pixels: inout [UInt8]) {
        let (r, g, b) = object.color.rgb
        let colour = [Double(r), Double(g), Double(b)]
        let x0 = max(0, Int((object.centerX - object.radius).rounded(.down)) - 1)
        let x1 = min(width - 1, Int((object.centerX + object.radius).rounded(.up)) + 1)
        let y0 = max(0, Int((object.centerY - object.radius).rounded(.down)) - 1)
        let y1 = min(height - 1, Int((object.centerY + object.radius).rounded(.up)) + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let samples = 4
        for y in y0...y1 {
            for x in x0...x1 {
                var covered = 0
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let px = Double(x) + (Double(sx) + 0.5) / Double(samples)
                        let py = Double(y) + (Double(sy) + 0.5) / Double(samples)
                        if contains(object.shape, u: (px - object.centerX) / object.radius, v: (py - object.centerY) / object.radius) {
                            covered += 1
                        }
                    }
                }
                guard covered > 0 else { continue }
                let alpha = Double(covered) / Double(samples * samples)
                for c in 0..<3 {
                    let index = (y * width + x) * 3 + c
                    pixels[index] = clampByte(Double(pixels[index]) * (1 - alpha) + colour[c] * alpha)
                }
            }
        }
    }

    /// Whether the point (u, v), in units of the radius from the centre (v pointing down), is inside.
    static func contains(_ shape: ShapeKind, u: Double, v: Double) -> Bool {
        switch shape {
        case .circle: return u * u + v * v <= 1
        case .square: return abs(u) <= 0.85 && abs(v) <= 0.85
        case .diamond: return abs(u) + abs(v) <= 1
        case .cross: return (abs(u) <= 0.32 && abs(v) <= 0.95) || (abs(v) <= 0.32 && abs(u) <= 0.95)
        case .triangle: return v <= 0.8 && v >= -1 && abs(u) <= 0.95 * (v + 1) / 1.8
        case .star: return pointInPolygon(u: u, v: v, starPolygon)
        }
    }

    /// Five-pointed star, one point up; outer radius 1, inner 0.45.
    private static let starPolygon: [(Double, Double)] = (0..<10).map { i in
        let angle = -Double.pi / 2 + Double(i) * Double.pi / 5
        let radius = i % 2 == 0 ? 1.0 : 0.45
        return (radius * cos(angle), radius * sin(angle))
    }

    private static func pointInPolygon(u: Double, v: Double, _ polygon: [(Double, Double)]) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let (xi, yi) = polygon[i], (xj, yj) = polygon[j]
            if (yi > v) != (yj > v) && u < (xj - xi) * (v - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }

    /// Font dots per glyph dot: the largest that fits the square inscribed in the shape.
    static func glyphScale(radius: Double) -> Int {
        max(1, Int((radius * 2 * 0.72) / Double(BitmapFont.glyphHeight)))
    }

    private static func paintCharacter(_ character: String, on object: SceneObject, width: Int, height: Int, into pixels: inout [UInt8]) {
        let scale = glyphScale(radius: object.radius)
        let (r, g, b) = object.color.inkColor.rgb
        let left = Int((object.centerX - Double(BitmapFont.glyphWidth * scale) / 2).rounded())
        let top = Int((object.centerY - Double(BitmapFont.glyphHeight * scale) / 2).rounded())
        for row in 0..<BitmapFont.glyphHeight {
            for column in 0..<BitmapFont.glyphWidth where BitmapFont.isInked(character, column: column, row: row) {
                for dy in 0..<scale {
                    for dx in 0..<scale {
                        let x = left + column * scale + dx, y = top + row * scale + dy
                        guard x >= 0, x < width, y >= 0, y < height else { continue }
                        let index = (y * width + x) * 3
                        pixels[index] = r; pixels[index + 1] = g; pixels[index + 2] = b
                    }
                }
            }
        }
    }

    private static func clampByte(_ value: Double) -> UInt8 {
        UInt8(max(0, min(255, value.rounded())))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
