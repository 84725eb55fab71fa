/* config_alt.c - a different valid value for a configuration key (tests). */
#include "config_alt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_alt_value(const struct config_key *k, const void *base, char *out, size_t out_len)
{
	const void *field = config_key_cfield(k, base);
	switch (k->kind) {
	case CONFIG_I32:
	case CONFIG_I64:
	case CONFIG_UNLIM: {
		long long v = k->kind == CONFIG_I32 ? *(const int32_t *)field
						    : (long long)*(const int64_t *)field;
		long long w = v + 1;
		if (k->kind == CONFIG_UNLIM && v == -1)
			w = k->min;
		else if (w > k->max)
			w = v - 1;
		snprintf(out, out_len, "%lld", w);
		return;
	}
	case CONFIG_PATH:
		snprintf(out, out_len, "%s", strcmp(field, "/elsewhere") ? "/elsewhere" : "/other");
		return;
	case CONFIG_HOST:
		snprintf(out, out_len, "%s",
			 strcmp(field, "h.example") ? "h.example" : "i.example");
		return;
	case CONFIG_NAME:
		snprintf(out, out_len, "%s", strcmp(field, "other") ? "other" : "another");
		return;
	case CONFIG_ADDR: {
		struct config_addr a = *(const struct config_addr *)field;
		a.port = a.port < 65535 ? (uint16_t)(a.port + 1) : (uint16_t)(a.port - 1);
		config_addr_str(&a, out, out_len);
		return;
	}
	case CONFIG_LOGLEVEL:
		snprintf(out, out_len, "%s",
			 *(const enum log_level *)field == LOG_DEBUG ? "error" : "debug");
		return;
	case CONFIG_SYNC:
		snprintf(out, out_len, "%s",
			 *(const enum config_sync *)field == CONFIG_SYNC_ALWAYS ? "never"
										: "always");
		return;
	case CONFIG_TSTYPE:
		snprintf(out, out_len, "%s",
			 *(const int32_t *)field == CONFIG_TS_CREATE_TIME ? "LogAppendTime"
									  : "CreateTime");
		return;
	}
	out[0] = '\0';
}
