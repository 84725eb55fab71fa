/* delete_topics.h - DeleteTopics (v0-6) through the controller.
 *
 * Topics by name (v0-5, and v6 with a name) or by topic id (v6 with a null
 * name): one DELETE_TOPIC command each. Unknown names answer
 * UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID (the catalog's
 * verdict); internal topics (names starting "__") cannot be deleted
 * (INVALID_TOPIC_EXCEPTION). Once deleted, every node stops the topic's
 * workers and removes their data (follow.c). */
#ifndef FJORD_SUP_DELETE_TOPICS_H
#define FJORD_SUP_DELETE_TOPICS_H

struct kreq;
struct reader;

void delete_topics_handle(struct kreq *r, struct reader *body);

#endif
