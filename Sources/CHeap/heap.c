#include "heap.h"
#include <stdlib.h> /* defines __GLIBC__ on glibc */

#ifdef __GLIBC__
#include <malloc.h>

void acim_heap_keep_freed_memory(void) {
    /* 32 MiB is the largest mmap threshold glibc accepts on 64-bit systems. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
#else
void acim_heap_keep_freed_memory(void) {}
#endif
