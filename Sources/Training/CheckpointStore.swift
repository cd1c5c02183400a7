import Foundation
import SafeTensors
#if canImport(Glibc)
import Glibc
#endif

public enum CheckpointError: Error, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "\(path): cannot write checkpoint: \(reason)"
        case let .corrupt(path, reason): return "\(path): unusable checkpoint: \(reason)"
        }
    }
}

/// Checkpoint folders `OUTPUT/checkpoint-STEP/`, as the Hugging Face Trainer names them.
///
/// A checkpoint is written into a hidden temporary folder, every file flushed, and the folder
/// renamed into place in one step, so a run killed mid-save leaves either no new checkpoint or a
/// complete one; the previous checkpoints are never touched before the new one is complete.
public struct CheckpointStore: Sendable {
    public let outputDirectory: String
    public static let prefix = "checkpoint-"

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }

    public func path(step: Int) -> String { outputDirectory + "/" + Self.prefix + String(step) }

    /// Write `files` (name -> bytes) as checkpoint `step`; returns its folder.
    @discardableResult
    public func save(step: Int, files: [String: Data]) throws -> String {
        let manager = FileManager.default
        let final = path(step: step)
        let temporary = outputDirectory + "/.tmp-" + Self.prefix + "\(step)-\(getpid())"
        do {
            try manager.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            try? manager.removeItem(atPath: temporary)
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            for (name, data) in files.sorted(by: { $0.key < $1.key }) {
                try AtomicFile.write(data, to: temporary + "/" + name)
            }
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw CheckpointError.cannotCreate(path: final, reason: "\(error)")
        }
        // A checkpoint of the same step from an interrupted earlier run is replaced whole.
        if manager.fileExists(atPath: final) {
            let stale = temporary + ".old"
            guard rename(final, stale) == 0 else {
                throw CheckpointError.cannotCreate(path: final, reason: "cannot move the existing checkpoint aside: \(String(cString: strerror(errno)))")
            }
            try? manager.removeItem(atPath: stale)
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            try? manager.removeItem(atPath: temporary)
            throw CheckpointError.cannotCreate(path: final, reason: "rename: \(reason)")
        }
        let folder = open(outputDirectory, O_RDONLY)
        if folder >= 0 { fsync(folder); close(folder) }
        return final
    }

    /// Completed checkpoints, by step, ascending. Temporary folders are ignored.
    public func completed() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(Self.prefix), let step = Int(name.dropFirst(Self.prefix.count)) else { return nil }
            return (step, outputDirectory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    public func latest() -> (step: Int, path: String)? { completed().last }

    /// Keep the newest `limit` checkpoints (the Trainer's save_total_limit); 0 keeps all.
    public func prune(keepingLatest limit: Int) {
        guard limit > 0 else { return }
        for old in completed().dropLast(limit) { try? FileManager.default.removeItem(atPath: old.path) }
    }

    /// Remove temporary folders left by a run killed mid-save.
    public func removeIncomplete() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        for name in names where name.hasPrefix(".tmp-" + Self.prefix) {
            try? FileManager.default.removeItem(atPath: outputDirectory + "/" + name)
        }
    }
}
