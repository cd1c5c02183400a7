import Foundation
import SafeTensors
import TensorCore

// Merging an adapter into a base checkpoint on disk, as haotian-liu/LLaVA's
// scripts/merge_lora_weights.py does through PEFT's merge_and_unload: W += scale B A for every
// adapted module, everything else copied byte for byte, each tensor kept in its dtype, the same
// shard files (and index) as the input. The other files of a checkpoint folder (config,
// tokenizer) are copied too. Each shard is built in memory and written atomically.

/// Merge `adapters` into the checkpoint at `input` (file or folder); writes `output` (a folder
/// for folder input, else a file). Returns the number of weights changed.
@discardableResult
public func mergeAdapters(_ adapters: AdapterSet, checkpoint input: String, output: String) throws -> Int {
    let checkpoint: SafeTensorsCheckpoint
    do { checkpoint = try SafeTensorsCheckpoint(path: input) } catch let error as SafeTensorsError {
        throw AdaptersError.io(path: input, reason: error.description)
    }
    let names = Set(checkpoint.names)
    var keyOfModule: [String: String] = [:]
    var missing: [String] = []
    for module in adapters.modules.keys.sorted() {
        if let key = checkpointWeightKey(module: module, in: names) { keyOfModule[module] = key } else { missing.append(module) }
    }
    guard missing.isEmpty else { throw AdaptersError.adapterModulesMissingFromBase(modules: missing) }
    var shapes: [String: [Int]] = [:]
    for (module, key) in keyOfModule { shapes[module] = try checkpoint.info(key).shape }
    try adapters.validate(againstBase: shapes)
    let moduleOfKey = Dictionary(uniqueKeysWithValues: keyOfModule.map { ($1, $0) })

    var isFolder: ObjCBool = false
    FileManager.default.fileExists(atPath: input, isDirectory: &isFolder)
    if isFolder.boolValue {
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw AdaptersError.io(path: output, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
    }
    var changed = 0
    for file in checkpoint.files {
        var records: [TensorRecord] = []
        for info in file.tensors {
            if let module = moduleOfKey[info.name] {
                guard [.f32, .f16, .bf16].contains(info.dtype) else {
                    throw AdaptersError.unsupported("\(file.path): weight '\(info.name)' is \(info.dtype.rawValue); merging needs F32, F16 or BF16")
                }
                var weight = try file.tensor(info.name)
                adapters.modules[module]!.merge(into: &weight)
                records.append(TensorRecord(name: info.name, tensor: weight, dtype: info.dtype))
                changed += 1
            } else {
                records.append(TensorRecord(name: info.name, dtype: info.dtype, shape: info.shape, bytes: Array(try file.rawBytes(info.name))))
            }
        }
        let destination = isFolder.boolValue
            ? (output as NSString).appendingPathComponent((file.path as NSString).lastPathComponent) : output
        do { try SafeTensorsWriter.write(records, metadata: file.metadata, to: destination) } catch let error as SafeTensorsError {
            throw AdaptersError.io(path: destination, reason: error.description)
        }
    }
    if isFolder.boolValue {
        // config, tokenizer, index: everything that is not a shard we wrote
        let written = Set(checkpoint.files.map { ($0.path as NSString).lastPathComponent })
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
        for entry in entries.sorted() where !written.contains(entry) {
            let source = (input as NSString).appendingPathComponent(entry)
            var entryIsFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &entryIsFolder), !entryIsFolder.boolValue,
                  let data = FileManager.default.contents(atPath: source) else { continue }
            do { try AtomicFile.write(data, to: (output as NSString).appendingPathComponent(entry)) } catch let error as SafeTensorsError {
                throw AdaptersError.io(path: output, reason: error.description)
            }
        }
    }
    return changed
}
