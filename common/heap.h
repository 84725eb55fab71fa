/* heap.h - glibc malloc settings for a process that moves record batches.
 *
 * A batch buffer (a Produce request, a Raft append, a Fetch answer) is often
 * above glibc's default mmap threshold (128 KiB, raised dynamically only
 * after a free). Such a buffer is then mmapped and munmapped for each batch,
 * and every page of it faults in again on first touch, which costs more than
 * copying the bytes. heap_tune keeps batch-sized buffers on the heap and the
 * freed heap mapped, so a steady stream of batches reuses the same pages. */
#ifndef FJORD_HEAP_H
#define FJORD_HEAP_H

/* Buffers up to this size come from the heap, not from their own mmap. */
#define HEAP_MMAP_THRESHOLD (32u << 20)
/* Free heap above this much is given back to the kernel (sbrk). */
#define HEAP_TRIM_THRESHOLD (256u << 20)

/* Sets the thresholds above. Call once at start, before threads. Returns 0,
 * or ERR_INVALID if the C library refused a setting (the process works
 * either way, only slower). */
int heap_tune(void);

#endif
