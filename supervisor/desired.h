/* desired.h - the INI file's [topic.NAME] sections and [cluster] list as
 * desired state, proposed to the controller at start and on SIGHUP.
 *
 * A pass, run once a catalog is known and repeated until it has nothing
 * left to propose:
 *   1. every [cluster] node (this node alone without one) is registered
 *      with its addresses (REGISTER_NODE), so placement can use it;
 *   2. a catalog that never adopted anything adopts the file's topics with
 *      the placement they already have (the [cluster] rule of
 *      common/placement.c) and their name-derived topic ids (ADOPT), so a
 *      cluster created before the catalog keeps its data directories and
 *      its clients' topic ids; the first ADOPT committed wins;
 *   3. then each section: a missing topic is created (placement by the
 *      controller, a random topic id), a larger partition count grows it,
 *      a key the section sets itself that differs from the catalog's
 *      override is altered; a smaller partition count is refused with a
 *      log line naming the topic. Topics missing from the file are left
 *      alone (delete them with DeleteTopics). */
#ifndef FJORD_SUP_DESIRED_H
#define FJORD_SUP_DESIRED_H

struct sup;
struct desired;

struct desired *desired_new(struct sup *s);
void desired_free(struct desired *d);

/* Asks for a pass (start, SIGHUP). */
void desired_request(struct sup *s);

/* A new catalog arrived: a pass waiting for one goes on. */
void desired_on_catalog(struct sup *s);

#endif
