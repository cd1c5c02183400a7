// Shared helpers of the codec wrappers.
#include "ImageCodecs.h"
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <png.h>

void ic_free(void *pointer) { free(pointer); }

int image_codecs_version(void) { return JPEG_LIB_VERSION * 100000 + (int)png_access_version_number(); }
