// swift-tools-version:6.0
// MiLoRA visual instruction tuning for LLaVA-1.5 style models. See ../shared/DESIGN.md (section 2)
// for the module layout; imports only point down the list below.
import PackageDescription

// Numeric code is written in Swift 5 language mode: the kernels pass raw buffers between
// threads, which Swift 6's strict sendability checking would force behind unchecked wrappers
// everywhere without making anything safer.
let languageMode: [SwiftLanguageMode] = [.v5]
let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "MiLoRA-VLM",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vlm-inspect", targets: ["vlm-inspect"]),
        .executable(name: "vlm-bench", targets: ["vlm-bench"]),
        .executable(name: "vlm-eval", targets: ["vlm-eval"]),
        .executable(name: "vlm-data", targets: ["vlm-data"]),
        .executable(name: "vlm-tune", targets: ["vlm-tune"]),
        .executable(name: "vlm-chat", targets: ["vlm-chat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: system libraries
        .systemLibrary(name: "CLinearAlgebra", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        // MARK: libraries
        .target(name: "TensorCore", dependencies: ["CLinearAlgebra"],
                swiftSettings: optimise),
        .target(name: "SafeTensors", dependencies: ["TensorCore"], swiftSettings: optimise),
        // libjpeg / libpng wrappers: setjmp/longjmp stays inside this C target.
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Imaging", dependencies: ["TensorCore", "CImageCodecs"], swiftSettings: optimise),
        .target(name: "Tokenization", swiftSettings: optimise),
        .target(name: "Layers", dependencies: ["TensorCore", "CLinearAlgebra"], swiftSettings: optimise),
        .target(name: "Adapters", dependencies: ["TensorCore", "SafeTensors", "Layers", "CLinearAlgebra"],
                swiftSettings: optimise),
        .target(name: "Architectures", dependencies: ["TensorCore", "SafeTensors", "Layers", "Adapters"],
                swiftSettings: optimise),
        .target(name: "Decoding", dependencies: ["TensorCore", "Architectures", "Tokenization", "Imaging"],
                swiftSettings: optimise),
        .target(name: "Evaluators", swiftSettings: optimise),
        // The built-in synthetic visual world: scenes, rendering, instruction and benchmark data.
        .target(name: "SyntheticWorld", dependencies: ["TensorCore", "Imaging"], swiftSettings: optimise),
        // Shared by the executables: progress bars, run records, plots.
        .target(name: "CLISupport", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "Training", dependencies: ["TensorCore", "SafeTensors", "Layers", "Adapters", "Architectures",
                                                 "Tokenization", "Imaging"], swiftSettings: optimise),

        // MARK: executables (the only code that prints)
        .executableTarget(name: "vlm-inspect", dependencies: [
            "TensorCore", "SafeTensors", "Imaging", "Tokenization", "Layers", "Adapters", "Architectures", "Decoding",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vlm-bench", dependencies: [
            "TensorCore", "CLinearAlgebra", "Adapters", "Imaging", "Architectures", "Layers", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimise),
        .executableTarget(name: "vlm-eval", dependencies: [
            "Evaluators", "TensorCore", "SafeTensors", "Imaging", "Tokenization", "Architectures", "Decoding", "CLISupport", "SyntheticWorld",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vlm-chat", dependencies: [
            "Decoding", "Architectures", "Adapters", "Imaging", "Tokenization", "CLISupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "vlm-tune", dependencies: [
            "Training", "Architectures", "Adapters", "Decoding", "Tokenization", "Imaging", "SyntheticWorld", "CLISupport",
            "SafeTensors", "TensorCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimise),
        .executableTarget(name: "vlm-data", dependencies: [
            "SyntheticWorld", "Imaging", "CLISupport", "Architectures", "Layers", "SafeTensors", "TensorCore", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimise),

        // MARK: tests
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "SafeTensors", "CLinearAlgebra", "CJPEG", "CPNG"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TensorCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TensorCore"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "TensorCore"]),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "Layers", "TensorCore", "SafeTensors"]),
        .testTarget(name: "ArchitecturesTests", dependencies: ["Architectures", "Decoding", "Tokenization", "Imaging", "Layers", "Adapters", "TensorCore", "SafeTensors"]),
        .testTarget(name: "EvaluatorsTests", dependencies: ["Evaluators"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Evaluators", "Architectures", "Imaging", "Tokenization",
                                                         "TensorCore", "SafeTensors"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TensorCore", "SafeTensors", "Tokenization"]),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport"]),
        .testTarget(name: "SyntheticWorldTests", dependencies: ["SyntheticWorld", "TensorCore"]),
        // Runs the built executables (Scripts/test.sh builds them first).
        .testTarget(name: "EndToEndTests", dependencies: ["SafeTensors", "TensorCore"]),
    ],
    swiftLanguageModes: languageMode
)
