/* scenarios.h - the named liveness and stability scenarios. */
#ifndef FJORD_SIM_SCENARIOS_H
#define FJORD_SIM_SCENARIOS_H

#include <stddef.h>

int scenario_count(void);
/* Runs scenario k. Fills name and info (what was shown). Returns 0, or -1
 * with the violated rule and details in why. */
int scenario_run(int k, char *name, size_t name_len, char *info, size_t info_len, char *why,
		 size_t why_len);

/* quiet.c: the quiescence scenarios (see there). */
struct sim;
void scenario_quiet_idle(struct sim *s, int nodes, char *info, size_t len);
void scenario_quiet_crash(struct sim *s, int nodes, char *info, size_t len);
void scenario_quiet_partition(struct sim *s, int nodes, char *info, size_t len);

#endif
