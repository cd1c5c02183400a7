import Foundation
@testable import Evaluators

/// Tests/Fixtures/evaluators, made by Scripts/fixtures/make_evaluators_fixtures.py from the official code.
let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/evaluators")

func fixture(_ relative: String) -> String { fixtureRoot.appendingPathComponent(relative).path }

func expected(_ relative: String) throws -> JSONValue {
    try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
}

/// The official scripts print with %.2f / %.3f: compare at that precision.
func printed(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evaluators-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
