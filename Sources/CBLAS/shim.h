#pragma once
/* OpenBLAS's cblas.h also declares openblas_get_corename, openblas_get_num_threads and
   openblas_set_num_threads, used to report and check the kernel set in use. */
#include <cblas.h>
