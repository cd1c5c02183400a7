import Foundation

/// What a run writes beside its outputs so it can be understood and reproduced later:
/// `run_config.json` with the resolved configuration (every option after defaults were
/// applied), the exact command line, the working directory, the start time and the host.
public enum RunRecord {
    public static let fileName = "run_config.json"

    public static func write<Configuration: Encodable>(_ configuration: Configuration, to folder: String,
                                                        fileName: String = RunRecord.fileName) throws {
        let record = RunRecordFile(command_line: CommandLine.arguments, working_directory: FileManager.default.currentDirectoryPath,
                            started_at: ISO8601DateFormatter().string(from: Date()),
                            host: ProcessInfo.processInfo.hostName, configuration: configuration)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try encoder.encode(record).write(to: URL(fileURLWithPath: folder + "/" + fileName), options: .atomic)
    }
}

private struct RunRecordFile<C: Encodable>: Encodable {
    var command_line: [String]
    var working_directory: String
    var started_at: String
    var host: String
    var configuration: C
}
