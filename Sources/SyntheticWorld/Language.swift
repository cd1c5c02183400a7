// Words and phrases about scenes: referring expressions, plurals, number words, captions.

enum Attribute: Hashable { case shape, color, size, position, character }

enum Words {
    static let numbers = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    static func plural(_ shape: ShapeKind) -> String {
        shape == .cross ? "crosses" : shape.rawValue + "s"
    }

    /// "a" or "an", as POPE chooses it (by the first letter being a vowel).
    static func article(_ word: String) -> String {
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    static func capitalizedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    /// "a large red circle with the letter K".
    static func describe(_ object: SceneObject, article useArticle: Bool = true) -> String {
        var text = "\(object.size.rawValue) \(object.color.rawValue) \(object.shape.rawValue)"
        if useArticle { text = article(text) + " " + text }
        if let character = object.character {
            text += BitmapFont.isDigit(character) ? " with the number \(character)" : " with the letter \(character)"
        }
        return text
    }

    static func characterNoun(_ character: String) -> String {
        BitmapFont.isDigit(character) ? "number" : "letter"
    }
}

/// The shortest expression that picks out `object` alone in `scene` without naming any of the
/// `excluded` attributes ("the circle", "the red circle", "the small red object",
/// "the object in the top left"), or nil when none exists.
func referringExpression(for object: SceneObject, in scene: Scene, excluding excluded: Set<Attribute>) -> String? {
    func unique(shape: Bool, color: Bool, size: Bool) -> Bool {
        scene.objects(shape: shape ? object.shape : nil, color: color ? object.color : nil, size: size ? object.size : nil).count == 1
    }
    let canShape = !excluded.contains(.shape), canColor = !excluded.contains(.color), canSize = !excluded.contains(.size)
    let noun = canShape ? object.shape.rawValue : "object"
    let options: [(Bool, Bool, Bool)] = [(true, false, false), (true, true, false), (true, false, true), (true, true, true),
                                         (false, true, false), (false, true, true), (false, false, true)]
    for (shape, color, size) in options {
        if (shape && !canShape) || (color && !canColor) || (size && !canSize) { continue }
        if !shape && canShape { continue }  // always name the shape when allowed
        if unique(shape: shape, color: color, size: size) {
            var words: [String] = ["the"]
            if size { words.append(object.size.rawValue) }
            if color { words.append(object.color.rawValue) }
            words.append(noun)
            return words.joined(separator: " ")
        }
    }
    if !excluded.contains(.position) { return "the \(noun) \(object.position.phrase)" }
    return nil
}

/// A caption listing every object in reading order (top row first, left to right).
func caption(of scene: Scene) -> String {
    let ordered = scene.objects.sorted { ($0.position.row, $0.position.column) < ($1.position.row, $1.position.column) }
    let parts = ordered.map { "\(Words.describe($0)) \($0.position.phrase)" }
    let background = "\(Words.article(scene.background.name)) \(scene.background.name) background"
    if parts.count == 1 {
        return Words.capitalizedFirst(parts[0]) + ", on \(background)."
    }
    let list = parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    return "There are \(Words.numbers[parts.count]) shapes on \(background): \(list)."
}
