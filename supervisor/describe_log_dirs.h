/* describe_log_dirs.h - the DescribeLogDirs API, answered by the
 * supervisor for the replicas of this node. */
#ifndef FJORD_SUP_DESCRIBE_LOG_DIRS_H
#define FJORD_SUP_DESCRIBE_LOG_DIRS_H

#include "common/buf.h"

struct kreq;

/* Answers with one log dir, the node's data_dir: every replica hosted here
 * (or those the request names; a null topic list means all) with its size
 * (the LMDB data file in use, from the worker's last STATUS), offset lag 0
 * and is_future_key false (fjord never moves a replica between
 * directories), and, from v4, the filesystem's size and free bytes. */
void describe_log_dirs_handle(struct kreq *r, struct reader *body);

#endif
