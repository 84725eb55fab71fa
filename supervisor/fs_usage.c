/* fs_usage.c - statvfs of the data directory (fs_usage.h). */
#include "fs_usage.h"

#include <sys/statvfs.h>

#include "common/err.h"

int fs_usage(const char *dir, uint64_t *free_bytes, uint64_t *size_bytes)
{
	struct statvfs v;
	if (statvfs(dir, &v) != 0) {
		*free_bytes = *size_bytes = 0;
		return ERR_IO;
	}
	*free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
	*size_bytes = (uint64_t)v.f_blocks * v.f_frsize;
	return 0;
}
