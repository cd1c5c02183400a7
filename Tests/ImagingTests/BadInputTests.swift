import Foundation
import Imaging
import Testing

/// Corrupt, truncated, empty, foreign and missing files give a typed error naming the file.
struct BadInputTests {
    private func error(_ relative: String) -> ImagingError? {
        do {
            _ = try ImageDecoder.decode(path: Fixtures.path(relative))
            return nil
        } catch let error as ImagingError {
            #expect(error.description.contains(Fixtures.path(relative)), "message must name the file: \(error)")
            return error
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    @Test func truncatedJPEG() {
        guard case .truncated(_, "JPEG", _) = error("bad/truncated.jpg") else {
            Issue.record("expected a truncated JPEG error, got \(String(describing: error("bad/truncated.jpg")))")
            return
        }
    }

    @Test func jpegCutInsideHeaders() {
        let result = error("bad/header_only.jpg")
        switch result {
        case .truncated(_, "JPEG", _)?, .corrupt(_, "JPEG", _)?: break
        default: Issue.record("expected a JPEG error, got \(String(describing: result))")
        }
    }

    @Test func garbageAfterJPEGSignature() {
        guard case .corrupt(_, "JPEG", _) = error("bad/garbage_after_jpeg_magic.jpg") else {
            Issue.record("expected a corrupt JPEG error")
            return
        }
    }

    @Test func badCRCs() {
        // PIL skips IDAT CRCs (it opens bad_crc_idat_checksum_only.png); libpng, and so this decoder, refuses them.
        for name in ["bad/bad_crc_ihdr.png", "bad/bad_crc_idat.png", "bad/bad_crc_idat_checksum_only.png"] {
            guard case .corrupt(_, "PNG", _) = error(name) else {
                Issue.record("\(name): expected a corrupt PNG error")
                continue
            }
        }
    }

    @Test func truncatedPNG() {
        guard case .truncated(_, "PNG", _) = error("bad/truncated.png") else {
            Issue.record("expected a truncated PNG error")
            return
        }
    }

    @Test func garbageEmptyAndForeignFormats() {
        #expect(error("bad/garbage.png") == .unsupportedFormat(path: Fixtures.path("bad/garbage.png"), detected: nil))
        #expect(error("bad/empty.jpg") == .emptyFile(path: Fixtures.path("bad/empty.jpg")))
        #expect(error("bad/image.gif") == .unsupportedFormat(path: Fixtures.path("bad/image.gif"), detected: "GIF"))
        #expect(error("bad/image.bmp") == .unsupportedFormat(path: Fixtures.path("bad/image.bmp"), detected: "BMP"))
    }

    @Test func missingPathAndFolder() {
        let missing = Fixtures.path("bad/does-not-exist.jpg")
        #expect(throws: ImagingError.fileNotFound(path: missing)) { try ImageDecoder.decode(path: missing) }
        #expect(throws: ImagingError.self) { try ImageDecoder.decode(path: Fixtures.path("bad")) }
    }

    @Test("every byte-prefix of a small JPEG and PNG fails cleanly or decodes")
    func everyTruncationIsHandled() throws {
        for name in ["images/jpeg_progressive_45x31.jpg", "images/png_interlaced_rgb_19x13.png"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))
            let full = try ImageDecoder.decode(data: data, name: name)
            for length in stride(from: 0, to: data.count, by: 7) {
                // Only the chunks after the image data (PNG's IEND) may go missing, as in PIL.
                do {
                    let image = try ImageDecoder.decode(data: data.prefix(length), name: name)
                    #expect(image == full && length >= data.count - 12, "\(name): prefix of \(length) bytes decoded")
                } catch is ImagingError {
                } catch {
                    Issue.record("\(name): untyped error \(error)")
                }
            }
        }
    }
}
