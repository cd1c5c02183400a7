import Adapters
import ArgumentParser
import Foundation
import SafeTensors

struct InspectSVD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svd",
        abstract: "Print a weight's singular values as JSON (descending).",
        discussion: "With --rank R, also the R largest and R smallest values as the SVD inits select them (PiSSA / MiLoRA), each computed as the norm of its recovered singular vector.")

    @Option(name: [.customLong("weights"), .customLong("model")],
            help: "A .safetensors file, or a checkpoint folder (sharded or not).")
    var weights: String

    @Option(help: "A tensor name, or a module name in any LLaVA layout (e.g. model.language_model.layers.0.self_attn.q_proj).")
    var module: String

    @Option(help: "Also report the R largest and R smallest singular values.")
    var rank: Int?

    @Option(help: "fast (f64 Gram matrix + tridiagonal eigenvalues) or full (LAPACK dgesdd).")
    var method: String = "fast"

    func run() throws {
        let checkpoint: SafeTensorsCheckpoint
        do { checkpoint = try SafeTensorsCheckpoint(path: weights) } catch let error as SafeTensorsError {
            throw ValidationFailure(message: error.description)
        }
        let names = Set(checkpoint.names)
        guard let name = [module, module + ".weight"].first(where: names.contains) ?? checkpointWeightKey(module: module, in: names) else {
            let tail = module.split(separator: ".").suffix(2).joined(separator: ".")
            let similar = checkpoint.names.filter { $0.contains(tail) }.prefix(5)
            throw ValidationFailure(message: "\(weights): no tensor '\(module)' or '\(module).weight'" +
                                    (similar.isEmpty ? "" : "; similar names: \(similar.joined(separator: ", "))"))
        }
        do {
            let w = try checkpoint.tensor(name)
            guard w.rank == 2 else { throw ValidationFailure(message: "\(weights): tensor '\(name)' has shape \(w.shape); the SVD needs a matrix") }
            let k = min(w.shape[0], w.shape[1])
            if let rank, rank < 1 || rank > k {
                throw ValidationFailure(message: AdaptersError.rankTooLarge(module: name, rank: rank, rows: w.shape[0], columns: w.shape[1]).description)
            }
            var object: [String: Any] = ["tensor": name, "shape": w.shape, "method": method]
            let ends = rank.map { Array(0..<$0) + Array((k - $0)..<k) } ?? []
            switch method {
            case "fast":
                let partial = try partialSVD(w, positions: ends)
                object["singular_values"] = partial.spectrum
                if let rank {
                    object["largest"] = Array(partial.triplets.values.prefix(rank))
                    object["smallest"] = Array(partial.triplets.values.suffix(rank))
                }
            case "full":
                let full = try fullSVD(w, precision: .double)
                object["singular_values"] = full.values
                if let rank {
                    object["largest"] = Array(full.values.prefix(rank))
                    object["smallest"] = Array(full.values.suffix(rank))
                }
            default:
                throw ValidationFailure(message: "--method must be fast or full, got '\(method)'")
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } catch let error as SafeTensorsError {
            throw ValidationFailure(message: error.description)
        } catch let error as AdaptersError {
            throw ValidationFailure(message: error.description)
        }
    }
}
