import Foundation

/// Tests/Fixtures/<area>/<name>, found from this source file so tests run from any folder.
func fixturePath(_ area: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(area).appendingPathComponent(name).path
}
