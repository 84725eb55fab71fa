/* api_versions.h - the ApiVersions API, answered by the supervisor. */
#ifndef FJORD_SUP_API_VERSIONS_H
#define FJORD_SUP_API_VERSIONS_H

#include "common/buf.h"

struct kreq;

/* Answers an ApiVersions request (body positioned after the header) with
 * the API table (api_table.h). */
void api_versions_handle(struct kreq *r, struct reader *body);

/* Answers an ApiVersions request at a version we do not serve: the v0
 * layout with UNSUPPORTED_VERSION and only ApiVersions' own range, so a
 * client newer than us can retry at a version we know. */
void api_versions_unsupported(struct kreq *r);

#endif
