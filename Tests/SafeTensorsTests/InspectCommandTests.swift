import Foundation
import Testing

/// `vlm-inspect safetensors` end to end: the built executable (Scripts/test.sh builds it before
/// testing) lists a file and a sharded folder, and exits non-zero with one clear line on bad input.
@Suite struct InspectCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = folder.appendingPathComponent("vlm-inspect")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("\(binary.path) is missing: run `swift build` before `swift test` (Scripts/test.sh does)")
            return (-1, "", "")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func listsAShardedFolderAsJSON() throws {
        let result = try Self.run(["safetensors", fixturePath("safetensors", "sharded"), "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let tensors = object?["tensors"] as? [[String: Any]] ?? []
        #expect(tensors.count == 3)
        let head = tensors.first { $0["name"] as? String == "model.head.weight" }
        #expect(head?["dtype"] as? String == "BF16")
        #expect(head?["shape"] as? [Int] == [4])
        #expect(head?["data_offsets"] as? [Int] == [0, 8])   // as Python's writer laid it out
        #expect(head?["file"] as? String == "model-00002-of-00002.safetensors")
        #expect((object?["metadata"] as? [String: String])?["total_size"] == "36")
    }

    @Test func listsAFileAsText() throws {
        let result = try Self.run(["safetensors", fixturePath("safetensors", "python_written.safetensors")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("i64") && result.stdout.contains("I64") && result.stdout.contains("note: written by safetensors.numpy"))
    }

    @Test func malformedFileExitsNonZeroWithAClearMessage() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).safetensors").path
        try Data("this is not a safetensors file at all".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Self.run(["safetensors", path, "--json"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(path) && result.stderr.contains("header length"))
        #expect(result.stdout.isEmpty)
        let missing = try Self.run(["safetensors", "/nonexistent/model.safetensors"])
        #expect(missing.status != 0 && missing.stderr.contains("no such file"))
    }
}
