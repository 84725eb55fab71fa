/* main.c - the simulation's command line: runs the seeded random schedules
 * for 3 and 5 replicas, for 3 voters with 1 and 2 learners, and the named
 * scenarios, prints one line per group and a final `sim: N passed, M
 * failed`; or replays one seed.
 *
 *   sim [--schedules N] [--partition-schedules N] [--learner-schedules N]
 *       [--nodes K] [--learners L] [--ticks N]
 *       [--seed N [--partition]] [--verbose] [--no-scenarios]
 *
 * The partition schedules (default 200 per size) run the data partition
 * over LMDB in memory as every replica's state machine (pnode.c). The
 * learner schedules (default 1000 per group) make the last L of K nodes
 * non-voting learners. --nodes and --learners pick the groups of that
 * size. --seed N runs only schedule N (with --nodes, default 3, and
 * --learners, default 0; --partition for a partition schedule); --verbose
 * traces every delivery, role change and fault. Exit status 0 iff all
 * passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "scenarios.h"
#include "schedule.h"
#include "sim.h"

#define DEFAULT_SCHEDULES 2000
#define DEFAULT_PARTITION_SCHEDULES 200
#define DEFAULT_LEARNER_SCHEDULES 1000
#define DEFAULT_FAULT_TICKS 1000

static void usage(void)
{
	fprintf(stderr, "usage: sim [--schedules N] [--partition-schedules N] "
			"[--learner-schedules N] [--nodes K] [--learners L] [--ticks N] "
			"[--seed N [--partition]] [--verbose] [--no-scenarios]\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	uint64_t schedules = DEFAULT_SCHEDULES, ticks = DEFAULT_FAULT_TICKS, seed = 0,
		 pschedules = DEFAULT_PARTITION_SCHEDULES, lschedules = DEFAULT_LEARNER_SCHEDULES;
	int only_nodes = 0, only_learners = -1;
	bool one_seed = false, verbose = false, scenarios = true, partition = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--schedules") && has)
			schedules = num(argv[++i]);
		else if (!strcmp(a, "--partition-schedules") && has)
			pschedules = num(argv[++i]);
		else if (!strcmp(a, "--learner-schedules") && has)
			lschedules = num(argv[++i]);
		else if (!strcmp(a, "--learners") && has)
			only_learners = (int)num(argv[++i]);
		else if (!strcmp(a, "--partition"))
			partition = true;
		else if (!strcmp(a, "--ticks") && has)
			ticks = num(argv[++i]);
		else if (!strcmp(a, "--nodes") && has)
			only_nodes = (int)num(argv[++i]);
		else if (!strcmp(a, "--seed") && has) {
			seed = num(argv[++i]);
			one_seed = true;
		} else if (!strcmp(a, "--verbose"))
			verbose = true;
		else if (!strcmp(a, "--no-scenarios"))
			scenarios = false;
		else
			usage();
	}
	if (only_nodes && (only_nodes < 1 || only_nodes > SIM_MAX_NODES))
		usage();
	if (only_learners >= (only_nodes ? only_nodes : 3))
		usage(); /* at least one voter */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The drivers log role changes; the simulation reports on its own
	 * (--verbose traces them). Errors still show. */
	log_set_level(verbose ? LOG_INFO : LOG_ERROR);
	char why[1024];

	if (one_seed) {
		int n = only_nodes ? only_nodes : 3, nl = only_learners > 0 ? only_learners : 0;
		if (schedule_run(seed, n, nl, ticks, verbose, partition, NULL, NULL, why,
				 sizeof(why))) {
			printf("sim: FAIL seed %llu, %d nodes (%d learners)%s: %s\n",
			       (unsigned long long)seed, n, nl, partition ? " (partition)" : "",
			       why);
			printf("sim: 0 passed, 1 failed\n");
			return 1;
		}
		printf("sim: seed %llu, %d nodes (%d learners): ok\n", (unsigned long long)seed, n,
		       nl);
		printf("sim: 1 passed, 0 failed\n");
		return 0;
	}

	uint64_t passed = 0, failed = 0;
	/* The groups: all voters, the data partition, then 3 voters with
	 * learners (as the controller runs on clusters of 4 and 5 nodes). */
	const struct {
		int nodes, learners;
		bool partition;
	} runs[] = {{3, 0, false}, {5, 0, false}, {3, 0, true},
		    {5, 0, true},  {4, 1, false}, {5, 2, false}};
	for (size_t run = 0; run < sizeof(runs) / sizeof(runs[0]); run++) {
		int n = runs[run].nodes, nl = runs[run].learners;
		bool part = runs[run].partition;
		uint64_t count = part ? pschedules : nl ? lschedules : schedules;
		if ((only_nodes && only_nodes != n) ||
		    (only_learners >= 0 && only_learners != nl) || count == 0)
			continue;
		char mode[64], lrn[32] = "";
		if (nl)
			snprintf(lrn, sizeof(lrn), " (%d learner%s)", nl, nl > 1 ? "s" : "");
		snprintf(mode, sizeof(mode), "%s%s", part ? " (partition)" : "", lrn);
		struct sim_stats st = {0};
		uint64_t ok = 0, bad = 0, max_settle = 0;
		clock_t t0 = clock();
		for (uint64_t k = 1; k <= count; k++) {
			uint64_t settle = 0;
			if (schedule_run(k, n, nl, ticks, false, part, &st, &settle, why,
					 sizeof(why))) {
				bad++;
				printf("sim: FAIL seed %llu, %d nodes%s: %s\n",
				       (unsigned long long)k, n, mode, why);
				printf("sim:   replay: sim --seed %llu --nodes %d --learners %d%s "
				       "--verbose\n",
				       (unsigned long long)k, n, nl, part ? " --partition" : "");
			} else {
				ok++;
				if (settle > max_settle)
					max_settle = settle;
			}
		}
		printf("sim: %d nodes%s: %llu schedules passed, %llu failed (%.1fs): %llu messages "
		       "(%llu dropped, %llu duplicated), %llu crashes, %llu elections, %llu "
		       "transfers, %llu step-downs, "
		       "%llu forced campaigns, %llu links up, %llu compactions, %llu log starts "
		       "sent, %llu "
		       "installed, "
		       "max term %llu; %llu schedules with quiescence (%llu times a replica went "
		       "quiet, %llu node-liveness reports); after faults a settled leader within "
		       "%llu ticks (limit 400) and every proposal applied everywhere\n",
		       n, mode, (unsigned long long)ok, (unsigned long long)bad,
		       (double)(clock() - t0) / CLOCKS_PER_SEC, (unsigned long long)st.msgs,
		       (unsigned long long)st.dropped, (unsigned long long)st.dups,
		       (unsigned long long)st.crashes, (unsigned long long)st.elections,
		       (unsigned long long)st.transfers, (unsigned long long)st.step_downs,
		       (unsigned long long)st.campaigns, (unsigned long long)st.links,
		       (unsigned long long)st.compactions, (unsigned long long)st.snapshots_sent,
		       (unsigned long long)st.snapshots_installed, (unsigned long long)st.max_term,
		       (unsigned long long)st.quiet_runs, (unsigned long long)st.quiesces,
		       (unsigned long long)st.liveness_reports, (unsigned long long)max_settle);
		passed += ok;
		failed += bad;
	}

	if (scenarios) {
		for (int k = 0; k < scenario_count(); k++) {
			char name[64], info[256];
			if (scenario_run(k, name, sizeof(name), info, sizeof(info), why,
					 sizeof(why))) {
				failed++;
				printf("sim: scenario %s: FAIL: %s\n", name, why);
			} else {
				passed++;
				printf("sim: scenario %s: ok: %s\n", name, info);
			}
		}
	}
	printf("sim: %llu passed, %llu failed\n", (unsigned long long)passed,
	       (unsigned long long)failed);
	return failed ? 1 : 0;
}
