#include "ImageCodecs.h"
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
#include <png.h>
// Proves both libraries link: returns libjpeg's JPEG_LIB_VERSION * 100000 + libpng's run-time version number.
int image_codecs_version(void) { return JPEG_LIB_VERSION * 100000 + (int)png_access_version_number(); }
