#ifndef TROUPE_CSIGNALS_H
#define TROUPE_CSIGNALS_H

/// Installs handlers for SIGINT and SIGTERM that write the signal's number to a pipe (the
/// one async-signal-safe thing they do), whichever thread the kernel picks to run them
/// (Dispatch parks the main thread in `sigsuspend` with those signals unblocked, so a mask
/// alone cannot keep them away from it). Returns 0, or -1 with errno set.
int troupe_signals_install(void);

/// Blocks the calling thread until a signal arrives; returns its number (-1 on error).
/// Call it from a thread of its own.
int troupe_signals_wait(void);

#endif
