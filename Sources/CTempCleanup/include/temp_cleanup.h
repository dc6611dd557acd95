#ifndef TCM_TEMP_CLEANUP_H
#define TCM_TEMP_CLEANUP_H

/// Remembers a temporary file to unlink if SIGINT, SIGTERM or SIGHUP arrives; returns a slot to
/// forget it with, or -1 when every slot is taken (the file is then only removed by its owner).
int tcm_cleanup_register(const char *path);
/// Forgets the temporary file of `slot` (it was renamed or removed).
void tcm_cleanup_forget(int slot);
/// Installs the handlers (unlink every remembered file, then _exit(128 + signal)) and unblocks
/// those signals in the calling thread.
void tcm_cleanup_install(void);

/// Between begin and end a SIGINT, SIGTERM or SIGHUP is recorded instead of acted on, so the
/// renames of a transaction are never cut halfway: the caller commits or rolls back all of them.
void tcm_commit_begin(void);
/// The signal recorded since `tcm_commit_begin`, or 0.
int tcm_commit_pending(void);
/// Ends the deferral; returns the signal recorded meanwhile, or 0.
int tcm_commit_end(void);
/// `_exit(128 + signal)`, as the handler does.
void tcm_exit_for_signal(int signal_number);

#endif
