/* err.c - names for the ERR_* codes of err.h. */
#include "err.h"

const char *err_str(int err)
{
	switch (err) {
	case ERR_OK:
		return "ok";
	case ERR_NOMEM:
		return "out of memory";
	case ERR_IO:
		return "i/o error";
	case ERR_INVALID:
		return "invalid input";
	case ERR_CORRUPT:
		return "corrupt data";
	case ERR_NOSPACE:
		return "no space left";
	case ERR_NOTFOUND:
		return "not found";
	case ERR_TOOBIG:
		return "too big";
	case ERR_AGAIN:
		return "try again";
	case ERR_CLOSED:
		return "connection closed";
	case ERR_TRUNCATED:
		return "truncated input";
	case ERR_UNSUPPORTED:
		return "unsupported";
	case ERR_CONFIG:
		return "invalid configuration";
	case ERR_COMPACTED:
		return "index compacted away";
	case ERR_UNAVAILABLE:
		return "index not yet available";
	case ERR_NOTLEADER:
		return "not the leader";
	case ERR_BADRECORD:
		return "invalid record";
	}
	return "unknown error";
}
