// libjpeg(-turbo) decode/encode with the library's longjmp-based error handling kept in this file.
// Decoder settings follow Pillow's src/libImaging/JpegDecode.c: the colour space libjpeg guesses,
// output 1 -> grayscale, 3 -> RGB, 4 -> CMYK; default islow IDCT and fancy upsampling; warnings
// are ignored except the one that means the data ended early (Pillow fails on such files too).
#include "ImageCodecs.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    ic_status status;
    char *message;  // IC_MESSAGE_CAPACITY bytes owned by the caller
} ic_jpeg_error;

static void ic_jpeg_error_exit(j_common_ptr info) {
    ic_jpeg_error *error = (ic_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    if (error->status == IC_OK) error->status = IC_CORRUPT;
    snprintf(error->message, IC_MESSAGE_CAPACITY, "libjpeg: %s", text);
    longjmp(error->jump, 1);
}

static void ic_jpeg_emit_message(j_common_ptr info, int level) {
    // level -1 is a warning about corrupt data; libjpeg would carry on with gray filler.
    if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF) {
        ((ic_jpeg_error *)info->err)->status = IC_TRUNCATED;
        ic_jpeg_error_exit(info);
    }
}

static void ic_jpeg_install_errors(ic_jpeg_error *error, char *message) {
    jpeg_std_error(&error->base);
    error->base.error_exit = ic_jpeg_error_exit;
    error->base.emit_message = ic_jpeg_emit_message;
    error->status = IC_OK;
    error->message = message;
    message[0] = 0;
}

static ic_status ic_jpeg_fail(ic_jpeg_error *error, ic_status status, const char *text) {
    error->status = status;
    snprintf(error->message, IC_MESSAGE_CAPACITY, "%s", text);
    return status;
}

ic_status ic_jpeg_decode(const unsigned char *data, size_t size, ic_jpeg_image *out) {
    struct jpeg_decompress_struct info;
    ic_jpeg_error error;
    // Written between setjmp and a possible longjmp, so kept in memory the longjmp cannot undo.
    unsigned char *volatile pixels = NULL;

    memset(out, 0, sizeof(*out));
    ic_jpeg_install_errors(&error, out->message);
    if (data == NULL || size == 0) return ic_jpeg_fail(&error, IC_TRUNCATED, "empty JPEG data");
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        return error.status;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);

    int components = info.num_components;
    if (components == 1) {
        info.out_color_space = JCS_GRAYSCALE;
    } else if (components == 3) {
        info.out_color_space = JCS_RGB;
    } else if (components == 4) {
        info.out_color_space = JCS_CMYK;
    } else {
        jpeg_destroy_decompress(&info);
        snprintf(out->message, IC_MESSAGE_CAPACITY, "JPEG with %d components (only 1, 3 or 4 are supported)", components);
        return IC_UNSUPPORTED;
    }
    if ((unsigned long long)info.image_width * info.image_height > IC_MAX_PIXELS) {
        jpeg_destroy_decompress(&info);
        snprintf(out->message, IC_MESSAGE_CAPACITY, "JPEG of %ux%u pixels is larger than the limit of %u pixels",
                 info.image_width, info.image_height, IC_MAX_PIXELS);
        return IC_TOO_LARGE;
    }
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    pixels = malloc(stride * info.output_height);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&info);
        return ic_jpeg_fail(&error, IC_NO_MEMORY, "out of memory for the decoded JPEG");
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    out->width = (int)info.output_width;
    out->height = (int)info.output_height;
    out->components = info.output_components;
    out->pixels = pixels;
    jpeg_destroy_decompress(&info);
    return IC_OK;
}

ic_status ic_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality, int subsampling,
                             unsigned char **out_data, size_t *out_size, char *message) {
    struct jpeg_compress_struct info;
    ic_jpeg_error error;
    // jpeg_mem_dest keeps *destination pointing at its current allocation, also after a longjmp.
    unsigned char *destination = NULL;
    unsigned long buffer_size = 0;

    ic_jpeg_install_errors(&error, message);
    *out_data = NULL;
    *out_size = 0;
    if (rgb == NULL || width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return ic_jpeg_fail(&error, IC_INVALID_ARGUMENT, "JPEG size must be 1...65500 pixels per side");
    if (quality < 1 || quality > 100) return ic_jpeg_fail(&error, IC_INVALID_ARGUMENT, "JPEG quality must be 1...100");
    if (subsampling < 0 || subsampling > 2)
        return ic_jpeg_fail(&error, IC_INVALID_ARGUMENT, "JPEG subsampling must be 0 (4:4:4), 1 (4:2:2) or 2 (4:2:0)");
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(destination);
        return error.status;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &destination, &buffer_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    // Luma sampling factors; chroma stays 1x1 (what Pillow's `subsampling` option sets).
    static const int factors[3][2] = {{1, 1}, {2, 1}, {2, 2}};
    info.comp_info[0].h_samp_factor = factors[subsampling][0];
    info.comp_info[0].v_samp_factor = factors[subsampling][1];
    jpeg_start_compress(&info, TRUE);
    size_t stride = (size_t)width * 3;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + stride * info.next_scanline);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out_data = destination;
    *out_size = buffer_size;
    return IC_OK;
}
