/* heap.c - glibc malloc thresholds (heap.h): batches reuse heap pages. */
#include "heap.h"

#include <malloc.h>

#include "common/err.h"

int heap_tune(void)
{
	/* mallopt returns 1 on success, 0 on error. Fixing the mmap threshold
	 * also turns off glibc's dynamic adjustment of both thresholds, which
	 * is the point: the trim threshold stays where we put it. */
	int ok = mallopt(M_MMAP_THRESHOLD, (int)HEAP_MMAP_THRESHOLD) == 1;
	ok = (mallopt(M_TRIM_THRESHOLD, (int)HEAP_TRIM_THRESHOLD) == 1) && ok;
	return ok ? 0 : ERR_INVALID;
}
