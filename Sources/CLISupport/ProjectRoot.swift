import Foundation

/// Where the built-in defaults (Data/...) live: the current folder when it holds Data/, else
/// the package root the executable was built in (.build/<configuration>/<tool> -> ../..).
public enum ProjectRoot {
    public static var path: String {
        let manager = FileManager.default
        if manager.fileExists(atPath: "Data") { return manager.currentDirectoryPath }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            if manager.fileExists(atPath: folder.appendingPathComponent("Data").path) { return folder.path }
            folder = folder.deletingLastPathComponent()
        }
        return manager.currentDirectoryPath
    }

    /// `relative` under the project root.
    public static func resolve(_ relative: String) -> String { path + "/" + relative }
}

/// One line on stderr, prefixed with the tool's name (stdout stays for results).
public func noteOnStandardError(_ tool: String, _ text: String) {
    FileHandle.standardError.write(Data("\(tool): \(text)\n".utf8))
}
