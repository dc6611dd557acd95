#ifndef TCMSCOPE_TERMINAL_GUARD_H
#define TCMSCOPE_TERMINAL_GUARD_H

/// Prepares the process for a full-screen session whatever its parent left behind: unblocks the
/// signals curses relies on (SIGWINCH for resizes, SIGINT/SIGTERM/SIGTSTP/SIGCONT/SIGHUP) and
/// resets an inherited "ignore" of SIGWINCH, so that ncurses installs its resize handler.
void tcm_guard_prepare_signals(void);

/// Saves the terminal modes of `fd` and installs handlers for fatal signals (SIGSEGV, SIGBUS,
/// SIGILL, SIGTRAP, SIGABRT, SIGFPE) that restore those modes, leave the alternate screen and
/// show the cursor, then hand the signal to whatever handler was there before (the Swift
/// runtime's backtracer, or the default action), so a crash never leaves a broken terminal. The
/// handler also points stdin at /dev/null first, so the backtracer prints its backtrace and
/// returns at once instead of waiting 30 s for a key (its interactive mode on a terminal).
void tcm_guard_install(int fd);

/// Removes the crash handlers again (after a normal shutdown).
void tcm_guard_remove(void);

#endif
