/* notify.c - sd_notify wrappers. Errors are ignored on purpose: a failed
 * notification must never stop a node that is otherwise working. */
#include "notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/clock.h"

void notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void notify_reloading(void)
{
	/* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) tell this
	 * reload from an older one; older versions ignore it. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
		   (unsigned long long)(clock_mono_ns() / 1000));
}

void notify_stopping(void) { sd_notify(0, "STOPPING=1\nSTATUS=stopping workers"); }
