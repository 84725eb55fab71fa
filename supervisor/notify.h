/* notify.h - telling systemd (Type=notify) where the supervisor is:
 * READY=1, RELOADING=1, STOPPING=1 and a STATUS= line. Without systemd
 * (no NOTIFY_SOCKET) every call is a no-op. */
#ifndef FJORD_SUP_NOTIFY_H
#define FJORD_SUP_NOTIFY_H

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);

#endif
