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

#endif
