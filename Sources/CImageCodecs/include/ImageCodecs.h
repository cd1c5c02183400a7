// C wrappers around libjpeg and libpng that keep setjmp/longjmp inside C (filled in by the imaging work).
#pragma once
int image_codecs_version(void);
