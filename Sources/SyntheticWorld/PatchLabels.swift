// Per-patch labels of a scene for a vision tower's own pretraining (vlm-data pretrain-tower):
// what each patch of the tower's input shows, read from the scene graph.

/// Per-patch labels of a world scene, for the tower's patch classification: what covers the
/// patch (an object whose centre lies in it, else one whose disc covers the patch centre).
public struct PatchLabeller: Sendable {
    public static let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    /// Classes per head: shape, colour, size, character; 0 is "nothing" in each.
    public static let headNames = ["shape", "color", "size", "character"]
    public static let classCounts = [ShapeKind.allCases.count + 1, ColorName.allCases.count + 1, SizeClass.allCases.count + 1, characters.count + 1]

    public let imageSize: Int  // the tower's input side
    public let patchSize: Int

    public init(imageSize: Int, patchSize: Int) {
        self.imageSize = imageSize
        self.patchSize = patchSize
    }

    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    /// One label list per head, one label per patch in row-major patch order.
    public func labels(_ scene: Scene) -> [[Int32]] {
        let side = imageSize / patchSize
        let scale = Double(scene.width) / Double(imageSize)  // scenes are square, so padding is a no-op
        var out = PatchLabeller.classCounts.map { _ in [Int32](repeating: 0, count: side * side) }
        for py in 0..<side { for px in 0..<side {
            let (x0, y0) = (Double(px * patchSize) * scale, Double(py * patchSize) * scale)
            let (x1, y1) = (x0 + Double(patchSize) * scale, y0 + Double(patchSize) * scale)
            let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2)
            let inside = scene.objects.first { $0.centerX >= x0 && $0.centerX < x1 && $0.centerY >= y0 && $0.centerY < y1 }
            let covering = scene.objects.first { ($0.centerX - cx) * ($0.centerX - cx) + ($0.centerY - cy) * ($0.centerY - cy) <= $0.radius * $0.radius }
            guard let object = inside ?? covering else { continue }
            let p = py * side + px
            out[0][p] = Int32(ShapeKind.allCases.firstIndex(of: object.shape)! + 1)
            out[1][p] = Int32(ColorName.allCases.firstIndex(of: object.color)! + 1)
            out[2][p] = Int32(SizeClass.allCases.firstIndex(of: object.size)! + 1)
            out[3][p] = object.character.flatMap { c in PatchLabeller.characters.firstIndex(of: Character(c)) }.map { Int32($0 + 1) } ?? 0
        } }
        return out
    }
}

