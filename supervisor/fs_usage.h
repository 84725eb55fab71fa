/* fs_usage.h - size and free space of the filesystem holding a directory,
 * as operators see it (the metrics' fjord_storage_fs_* and DescribeLogDirs'
 * total and usable bytes read the same numbers). */
#ifndef FJORD_SUP_FS_USAGE_H
#define FJORD_SUP_FS_USAGE_H

#include <stdint.h>

/* Sets *free_bytes (statvfs f_bavail: what an unprivileged process may
 * still write) and *size_bytes (f_blocks) of the filesystem holding dir
 * (borrowed). Returns 0, or ERR_IO when statvfs fails (both are then 0). */
int fs_usage(const char *dir, uint64_t *free_bytes, uint64_t *size_bytes);

#endif
