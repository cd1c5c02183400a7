// libpng decode/encode with the library's longjmp-based error handling kept in this file.
// The decoder hands back the stored samples (de-interlaced, sub-byte samples unpacked) and leaves
// the mapping to RGB to Swift, where it follows Pillow's PngImagePlugin modes and Convert.c.
// Every CRC error is fatal (Pillow also refuses bad CRCs on the chunks it checks); warnings are ignored.
#include "ImageCodecs.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    ic_status status;
    char *message;  // IC_MESSAGE_CAPACITY bytes owned by the caller
} ic_png_reader;

static void ic_png_error(png_structp png, png_const_charp text) {
    ic_png_reader *context = (ic_png_reader *)png_get_error_ptr(png);
    if (context->status == IC_OK) context->status = IC_CORRUPT;
    if (context->message[0] == 0) snprintf(context->message, IC_MESSAGE_CAPACITY, "libpng: %s", text);
    png_longjmp(png, 1);
}

static void ic_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void ic_png_read(png_structp png, png_bytep destination, size_t length) {
    ic_png_reader *reader = (ic_png_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->position) {
        reader->status = IC_TRUNCATED;
        snprintf(reader->message, IC_MESSAGE_CAPACITY, "PNG data ends after %zu bytes, before the image is complete",
                 reader->size);
        png_error(png, "truncated");
    }
    memcpy(destination, reader->data + reader->position, length);
    reader->position += length;
}

ic_status ic_png_decode(const unsigned char *data, size_t size, ic_png_image *out) {
    memset(out, 0, sizeof(*out));
    ic_png_reader reader = {data, size, 0, IC_OK, out->message};
    if (data == NULL || size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(out->message, IC_MESSAGE_CAPACITY, "not a PNG signature");
        return IC_CORRUPT;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, ic_png_error, ic_png_warning);
    if (png == NULL) {
        snprintf(out->message, IC_MESSAGE_CAPACITY, "libpng could not start (out of memory)");
        return IC_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    // Written between setjmp and a possible longjmp, so kept in memory the longjmp cannot undo.
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(pixels);
        free(rows);
        if (reader.status == IC_OK) reader.status = IC_NO_MEMORY;
        return reader.status;
    }
    png_set_read_fn(png, &reader, ic_png_read);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if ((unsigned long long)width * height > IC_MAX_PIXELS) {
        reader.status = IC_TOO_LARGE;
        snprintf(out->message, IC_MESSAGE_CAPACITY, "PNG of %ux%u pixels is larger than the limit of %u pixels",
                 (unsigned)width, (unsigned)height, IC_MAX_PIXELS);
        png_error(png, "too large");
    }
    if (bit_depth < 8) png_set_packing(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        reader.status = IC_NO_MEMORY;
        snprintf(out->message, IC_MESSAGE_CAPACITY, "out of memory for the decoded PNG");
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + row_bytes * y;
    png_read_image(png, rows);

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) == PNG_INFO_PLTE && palette != NULL) {
            if (count > 256) count = 256;
            for (int i = 0; i < count; i++) {
                out->palette[3 * i + 0] = palette[i].red;
                out->palette[3 * i + 1] = palette[i].green;
                out->palette[3 * i + 2] = palette[i].blue;
            }
            out->palette_count = count;
        }
    }
    out->width = (int)width;
    out->height = (int)height;
    out->bit_depth = bit_depth;
    out->color_type = color_type;
    out->channels = png_get_channels(png, info);
    out->row_bytes = row_bytes;
    out->pixels = pixels;
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return IC_OK;
}

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    ic_status status;
    char *message;
} ic_png_writer;

static void ic_png_write(png_structp png, png_bytep source, size_t length) {
    ic_png_writer *writer = (ic_png_writer *)png_get_io_ptr(png);
    if (length > writer->capacity - writer->size) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (length > capacity - writer->size) capacity *= 2;
        unsigned char *grown = realloc(writer->data, capacity);
        if (grown == NULL) {
            writer->status = IC_NO_MEMORY;
            png_error(png, "out of memory for the encoded PNG");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, source, length);
    writer->size += length;
}

static void ic_png_flush(png_structp png) { (void)png; }

static void ic_png_write_error(png_structp png, png_const_charp text) {
    ic_png_writer *writer = (ic_png_writer *)png_get_error_ptr(png);
    if (writer->status == IC_OK) writer->status = IC_INVALID_ARGUMENT;
    snprintf(writer->message, IC_MESSAGE_CAPACITY, "libpng: %s", text);
    png_longjmp(png, 1);
}

ic_status ic_png_encode_rgb(const unsigned char *rgb, int width, int height, int compression_level,
                            unsigned char **out_data, size_t *out_size, char *message) {
    *out_data = NULL;
    *out_size = 0;
    message[0] = 0;
    if (rgb == NULL || width <= 0 || height <= 0 || compression_level < 0 || compression_level > 9) {
        snprintf(message, IC_MESSAGE_CAPACITY, "PNG needs a positive size and a compression level 0...9");
        return IC_INVALID_ARGUMENT;
    }
    ic_png_writer writer = {NULL, 0, 0, IC_OK, message};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, ic_png_write_error, ic_png_warning);
    if (png == NULL) return IC_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        // writer lives in this frame's memory and is only changed through its address, by libpng's callbacks.
        free(writer.data);
        return writer.status == IC_OK ? IC_NO_MEMORY : writer.status;
    }
    png_set_write_fn(png, &writer, ic_png_write, ic_png_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * 3;
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + stride * (size_t)y));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out_data = writer.data;
    *out_size = writer.size;
    return IC_OK;
}
