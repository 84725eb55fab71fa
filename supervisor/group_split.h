/* group_split.h - the group APIs that name several groups, or none:
 * DescribeGroups, DeleteGroups and OffsetFetch v8+ (one sub-request per
 * local coordinator, answers merged in request order) and ListGroups
 * (every local coordinator asked). OffsetFetch v0-7 names one group and
 * goes to group_forward_handle. See group_forward.h for the whole path. */
#ifndef FJORD_SUP_GROUP_SPLIT_H
#define FJORD_SUP_GROUP_SPLIT_H

struct kreq;
struct reader;

/* api_table handlers. */
void group_offset_fetch_handle(struct kreq *r, struct reader *body);
void group_describe_handle(struct kreq *r, struct reader *body);
void group_delete_handle(struct kreq *r, struct reader *body);
void group_list_handle(struct kreq *r, struct reader *body);

#endif
