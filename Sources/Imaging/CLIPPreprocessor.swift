// CLIP image preprocessing as LLaVA-1.5 runs it: optional expand2square padding with the mean
// colour (haotian-liu/LLaVA llava/mm_utils.py), then transformers' PIL-based CLIPImageProcessor
// (huggingface/transformers image_processing_backends.PilBackend._preprocess and
// image_transforms.get_resize_output_image_size / center_crop / rescale / normalize):
// resize uint8 with Pillow, centre crop (zero padding when the crop is larger), rescale in
// float64, cast to float32, normalise in float32.
import TensorCore

/// LLaVA's `image_aspect_ratio`: "pad" (LLaVA-1.5) or anything else, which resizes the original.
public enum ImageAspectRatio: String, Sendable, CaseIterable {
    case pad
    case original
}

public struct CLIPPreprocessor: Sendable {
    public var config: CLIPPreprocessorConfig

    public init(config: CLIPPreprocessorConfig = .clipViTL14_336) {
        self.config = config
    }

    /// `pixel_values` for one image: [3, H, W] (H, W = the crop size when centre cropping).
    public func pixelValues(_ image: RGBImage, aspectRatio: ImageAspectRatio = .pad) -> Tensor {
        let prepared = aspectRatio == .pad ? expandToSquare(image) : image
        return normalized(cropped(resized(prepared)))
    }

    /// Reads, decodes (as PIL would) and preprocesses the image file at `path`.
    public func pixelValues(path: String, aspectRatio: ImageAspectRatio = .pad) throws -> Tensor {
        pixelValues(try ImageDecoder.decode(path: path), aspectRatio: aspectRatio)
    }

    /// LLaVA's background colour: `tuple(int(x * 255) for x in image_mean)`.
    public var backgroundColor: (UInt8, UInt8, UInt8) {
        func channel(_ x: Double) -> UInt8 { UInt8(clamping: Int(x * 255)) }
        return (channel(config.imageMean[0]), channel(config.imageMean[1]), channel(config.imageMean[2]))
    }

    /// LLaVA's expand2square: the image pasted into a square of the mean colour, centred along the
    /// short side with the offset rounded down.
    public func expandToSquare(_ image: RGBImage) -> RGBImage {
        if image.width == image.height { return image }
        let side = max(image.width, image.height)
        var square = RGBImage(width: side, height: side, fill: backgroundColor)
        let (left, top) = image.width > image.height ? (0, (side - image.height) / 2) : ((side - image.width) / 2, 0)
        let rowBytes = image.width * 3
        square.pixels.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { input in
                for y in 0..<image.height {
                    (out.baseAddress! + ((top + y) * side + left) * 3)
                        .update(from: input.baseAddress! + y * rowBytes, count: rowBytes)
                }
            }
        }
        return square
    }

    /// (height, width) after the resize step, as transformers computes it.
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard config.doResize else { return (height, width) }
        switch config.size {
        case .exact(let h, let w):
            return (h, w)
        case .shortestEdge(let edge):
            // get_resize_output_image_size(default_to_square=False): int(size * long / short)
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(edge * long) / Double(short))
            return width <= height ? (newLong, edge) : (edge, newLong)
        }
    }

    public func resized(_ image: RGBImage) -> RGBImage {
        let target = resizedSize(height: image.height, width: image.width)
        return image.resized(width: target.width, height: target.height, filter: config.resample)
    }

    /// transformers' center_crop: offsets (size - crop) // 2 rounded towards minus infinity; rows and
    /// columns outside the image (crop larger than the image) are zero. Not cropping keeps the image.
    public func cropped(_ image: RGBImage) -> (pixels: [UInt8], height: Int, width: Int) {
        guard config.doCenterCrop else { return (image.pixels, image.height, image.width) }
        let (cropHeight, cropWidth) = (config.cropHeight, config.cropWidth)
        let top = floorDivide(image.height - cropHeight, 2)
        let left = floorDivide(image.width - cropWidth, 2)
        var out = [UInt8](repeating: 0, count: cropHeight * cropWidth * 3)
        let columns = max(0, -left)..<min(cropWidth, image.width - left)
        for r in 0..<cropHeight {
            let y = r + top
            guard y >= 0 && y < image.height, !columns.isEmpty else { continue }
            let source = (y * image.width + columns.lowerBound + left) * 3
            let target = (r * cropWidth + columns.lowerBound) * 3
            out.replaceSubrange(target..<(target + columns.count * 3),
                                with: image.pixels[source..<(source + columns.count * 3)])
        }
        return (out, cropHeight, cropWidth)
    }

    /// [3, H, W] from uint8 [H, W, 3]: x * rescale_factor in float64, to float32, then
    /// (x - mean) / std in float32. Each output depends only on (channel, byte), so a 3 x 256 table
    /// holds every value the arithmetic can produce.
    public func normalized(_ crop: (pixels: [UInt8], height: Int, width: Int)) -> Tensor {
        var table = [Float](repeating: 0, count: 3 * 256)
        for channel in 0..<3 {
            let mean = Float(config.imageMean[channel])
            let std = Float(config.imageStd[channel])
            for byte in 0..<256 {
                var value = config.doRescale ? Float(Double(byte) * config.rescaleFactor) : Float(byte)
                if config.doNormalize { value = (value - mean) / std }
                table[channel * 256 + byte] = value
            }
        }
        let plane = crop.height * crop.width
        var storage = [Float](repeating: 0, count: 3 * plane)
        storage.withUnsafeMutableBufferPointer { out in
            crop.pixels.withUnsafeBufferPointer { input in
                table.withUnsafeBufferPointer { lookup in
                    for i in 0..<plane {
                        out[i] = lookup[Int(input[3 * i])]
                        out[plane + i] = lookup[256 + Int(input[3 * i + 1])]
                        out[2 * plane + i] = lookup[512 + Int(input[3 * i + 2])]
                    }
                }
            }
        }
        return Tensor(shape: [3, crop.height, crop.width], storage: storage)
    }
}

/// Python's `//` for a positive divisor.
@inline(__always) func floorDivide(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
