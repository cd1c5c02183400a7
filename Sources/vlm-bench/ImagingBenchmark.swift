import ArgumentParser
import Foundation
import Imaging
import TensorCore

/// Images per second through decode + CLIP preprocessing (what feeding LLaVA costs per image),
/// on a folder of JPEG/PNG files; Scripts/bench_imaging.sh runs PIL + CLIPImageProcessorPil
/// on the same files beside it.
struct ImagingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imaging",
        abstract: "Images/s of decode (as PIL) + expand2square + CLIP preprocessing (resize, crop, normalise) on a folder of images.")

    @Option(help: "Folder of .jpg/.jpeg/.png files.")
    var images: String

    @Option(help: "pad (LLaVA-1.5's expand2square) or original.")
    var imageAspectRatio: String = "pad"

    @Option(help: "Model folder with preprocessor_config.json; default: CLIP ViT-L/14-336's settings.")
    var model: String?

    @Option(help: "Timed rounds over the whole folder; the fastest round counts.")
    var trials = 3

    func run() throws {
        guard let aspect = ImageAspectRatio(rawValue: imageAspectRatio) else {
            throw ImagingBenchmarkFailure(message: "--image-aspect-ratio must be pad or original")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: images)) ?? [])
            .filter { ["jpg", "jpeg", "png"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
        guard !names.isEmpty else { throw ImagingBenchmarkFailure(message: "\(images): no .jpg/.jpeg/.png files") }
        let paths = names.map { (images as NSString).appendingPathComponent($0) }
        let preprocessor: CLIPPreprocessor
        do {
            preprocessor = CLIPPreprocessor(config: try model.map { try CLIPPreprocessorConfig.load(path: $0) } ?? .clipViTL14_336)
        } catch let error as ImagingError {
            throw ImagingBenchmarkFailure(message: error.description)
        }
        var checksum = 0.0
        func pass() throws {
            for path in paths {
                let values = try preprocessor.pixelValues(path: path, aspectRatio: aspect)
                checksum += Double(values.storage[values.count / 2])
            }
        }
        do {
            try pass()  // warm-up: page cache, thread pool
            // Wall time and process CPU time: the machine may be shared, and CPU seconds per image
            // are the steadier figure there.
            var best = (wall: Double.infinity, cpu: Double.infinity)
            var decodeOnly = (wall: Double.infinity, cpu: Double.infinity)
            for _ in 0..<max(1, trials) {
                best = fastest(best, try measure { try pass() })
                decodeOnly = fastest(decodeOnly, try measure {
                    for path in paths { checksum += Double(try ImageDecoder.decode(path: path).pixels[0]) }
                })
            }
            let count = Double(paths.count)
            print("swift: \(paths.count) images, aspect \(aspect.rawValue), \(workerCount) worker thread(s): "
                  + "decode+preprocess \(formatted(count / best.wall)) images/s wall, \(formatted(count / best.cpu)) per CPU-second; "
                  + "decode only \(formatted(count / decodeOnly.wall)) images/s wall, \(formatted(count / decodeOnly.cpu)) per CPU-second"
                  + (checksum.isNaN ? " " : ""))
        } catch let error as ImagingError {
            throw ImagingBenchmarkFailure(message: error.description)
        }
    }
}

/// A user-facing failure: one line on stderr, non-zero exit.
private struct ImagingBenchmarkFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

private func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

private func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    let (wall, cpu) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
    try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9, processCPUSeconds() - cpu)
}

private func fastest(_ a: (wall: Double, cpu: Double), _ b: (wall: Double, cpu: Double)) -> (wall: Double, cpu: Double) {
    (min(a.wall, b.wall), min(a.cpu, b.cpu))
}
