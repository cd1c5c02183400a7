// OpenBLAS's CBLAS interface and the reference LAPACKE (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
