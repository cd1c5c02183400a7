// C wrappers around libjpeg(-turbo) and libpng. Every setjmp/longjmp of those libraries stays in
// this target: each call returns an ic_status and, on failure, a message in the caller's struct.
// Nothing here prints or exits. Buffers handed out are malloc'd; release them with ic_free.
#pragma once
#include <stddef.h>

typedef enum {
    IC_OK = 0,
    IC_CORRUPT = 1,      // the library rejected the data (bad marker, bad CRC, bad zlib stream, ...)
    IC_TRUNCATED = 2,    // the data ended before the image did
    IC_UNSUPPORTED = 3,  // valid file of a kind we do not decode (e.g. 2-component JPEG)
    IC_TOO_LARGE = 4,    // dimensions past the pixel limit below
    IC_NO_MEMORY = 5,
    IC_INVALID_ARGUMENT = 6,
} ic_status;

// Images with more pixels than this are refused before any large allocation (PIL warns at 89M).
#define IC_MAX_PIXELS (1u << 28)
#define IC_MESSAGE_CAPACITY 256

// JPEG decoded with libjpeg's defaults as PIL uses them (islow IDCT, fancy upsampling):
// components 1 -> gray samples, 3 -> RGB, 4 -> CMYK exactly as stored (no Adobe inversion).
typedef struct {
    int width;
    int height;
    int components;
    unsigned char *pixels;  // height * width * components, row-major; NULL on failure
    char message[IC_MESSAGE_CAPACITY];
} ic_jpeg_image;

ic_status ic_jpeg_decode(const unsigned char *data, size_t size, ic_jpeg_image *out);

// Baseline JPEG from packed RGB8. quality 1...100; subsampling: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0.
ic_status ic_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, int subsampling,
                             unsigned char **out_data, size_t *out_size, char *message);

// PNG rows as stored, de-interlaced, with sub-byte samples unpacked to one byte each (raw values
// 0...2^depth-1, not scaled) and 16-bit samples left big-endian. No gamma, no tRNS expansion.
typedef struct {
    int width;
    int height;
    int bit_depth;       // 1, 2, 4, 8 or 16
    int color_type;      // PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int channels;        // samples per pixel in `pixels`
    size_t row_bytes;
    unsigned char *pixels;  // height * row_bytes; NULL on failure
    int palette_count;      // entries in palette (colour type 3)
    unsigned char palette[256 * 3];
    char message[IC_MESSAGE_CAPACITY];
} ic_png_image;

ic_status ic_png_decode(const unsigned char *data, size_t size, ic_png_image *out);

// 8-bit RGB PNG, not interlaced. compression_level 0...9 (zlib).
ic_status ic_png_encode_rgb(const unsigned char *rgb, int width, int height, int compression_level,
                            unsigned char **out_data, size_t *out_size, char *message);

void ic_free(void *pointer);

// Proves both libraries link: libjpeg's JPEG_LIB_VERSION * 100000 + libpng's run-time version number.
int image_codecs_version(void);
