/* producer_ids.c - producer ids from a per-node counter file reserved in
 * blocks (see producer_ids.h). */
#include "producer_ids.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

int producer_ids_init(struct producer_ids *p, const char *data_dir, int32_t node_id)
{
	memset(p, 0, sizeof(*p));
	if (node_id < 0 || node_id >= (1 << (63 - PRODUCER_IDS_NODE_SHIFT)))
		return ERR_INVALID;
	int n = snprintf(p->dir, sizeof(p->dir), "%s", data_dir);
	if (n < 0 || (size_t)n >= sizeof(p->dir))
		return ERR_INVALID;
	n = snprintf(p->path, sizeof(p->path), "%s/%s", data_dir, PRODUCER_IDS_FILE);
	if (n < 0 || (size_t)n >= sizeof(p->path))
		return ERR_INVALID;
	p->node_id = node_id;
	return 0;
}

int32_t producer_ids_node(int64_t id) { return (int32_t)(id >> PRODUCER_IDS_NODE_SHIFT); }

/* mkdir -p: the data directory may not exist before the first worker. */
static int make_dirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return ERR_INVALID;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
			log_error("producer ids: cannot create %s: %s", tmp, strerror(errno));
			return ERR_IO;
		}
		tmp[i] = c;
	}
	return 0;
}

/* Reads the counter from the file; a missing file is 0. */
static int load(struct producer_ids *p)
{
	FILE *f = fopen(p->path, "r");
	if (f == NULL) {
		if (errno == ENOENT) {
			p->next = p->reserved = 0;
			return 0;
		}
		log_error("producer ids: cannot read %s: %s", p->path, strerror(errno));
		return ERR_IO;
	}
	char line[64] = {0};
	bool got = fgets(line, sizeof(line), f) != NULL;
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed) {
		log_error("producer ids: cannot read %s", p->path);
		return ERR_IO;
	}
	char *end = NULL;
	errno = 0;
	long long v = got ? strtoll(line, &end, 10) : -1;
	if (!got || errno != 0 || end == line || (*end != '\n' && *end != '\0') || v < 0 ||
	    v > PRODUCER_IDS_COUNTER_MAX) {
		log_error("producer ids: %s does not hold a counter", p->path);
		return ERR_CORRUPT;
	}
	p->next = p->reserved = (int64_t)v;
	return 0;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes high as the new reserved mark: temporary file, fsync, rename,
 * fsync of the directory. */
static int reserve(struct producer_ids *p, int64_t high)
{
	int rc = make_dirs(p->dir);
	if (rc != 0)
		return rc;
	char tmp[sizeof(p->path) + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("producer ids: cannot create %s: %s", tmp, strerror(errno));
		return ERR_IO;
	}
	char line[32];
	int n = snprintf(line, sizeof(line), "%" PRId64 "\n", high);
	bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
	int err = errno;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, p->path) != 0 || fsync_path(p->dir, O_RDONLY | O_DIRECTORY) != 0) {
		if (ok)
			err = errno;
		log_error("producer ids: cannot write %s: %s", p->path, strerror(err));
		unlink(tmp);
		return ERR_IO;
	}
	p->reserved = high;
	return 0;
}

int producer_ids_next(struct producer_ids *p, int64_t *id)
{
	if (!p->loaded) {
		int rc = load(p);
		if (rc != 0)
			return rc;
		p->loaded = true;
	}
	if (p->next >= p->reserved) {
		if (p->next >= PRODUCER_IDS_COUNTER_MAX) {
			log_error("producer ids: node %lld used all of its ids",
				  (long long)p->node_id);
			return ERR_TOOBIG;
		}
		int64_t high = p->next + PRODUCER_IDS_BLOCK;
		if (high > PRODUCER_IDS_COUNTER_MAX)
			high = PRODUCER_IDS_COUNTER_MAX;
		int rc = reserve(p, high);
		if (rc != 0)
			return rc;
		log_debug("producer ids: reserved counters %lld..%lld", (long long)p->next,
			  (long long)high - 1);
	}
	*id = (p->node_id << PRODUCER_IDS_NODE_SHIFT) | p->next++;
	return 0;
}
