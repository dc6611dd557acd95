#ifndef TCMSCOPE_NCURSES_SHIM_H
#define TCMSCOPE_NCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <stdio.h>
#include <ncursesw/curses.h>

/* Macros and C globals Swift cannot import (or that strict concurrency rejects), as functions. */
static inline WINDOW *tcm_stdscr(void) { return stdscr; }
static inline int tcm_cols(void) { return COLS; }
static inline int tcm_lines(void) { return LINES; }
static inline int tcm_colors(void) { return COLORS; }
static inline int tcm_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t tcm_a_bold(void) { return A_BOLD; }
static inline attr_t tcm_a_reverse(void) { return A_REVERSE; }
static inline attr_t tcm_a_dim(void) { return A_DIM; }
static inline int tcm_key_code_yes(void) { return KEY_CODE_YES; }
static inline int tcm_key_resize(void) { return KEY_RESIZE; }
static inline int tcm_key_left(void) { return KEY_LEFT; }
static inline int tcm_key_right(void) { return KEY_RIGHT; }
static inline int tcm_key_up(void) { return KEY_UP; }
static inline int tcm_key_down(void) { return KEY_DOWN; }
static inline int tcm_key_btab(void) { return KEY_BTAB; }
static inline int tcm_key_enter(void) { return KEY_ENTER; }
static inline int tcm_key_mouse(void) { return KEY_MOUSE; }
/* Left press, release and click, motion (drags) and the wheel (buttons 4 and 5). */
static inline mmask_t tcm_mouse_events(void) {
    return BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED
        | REPORT_MOUSE_POSITION;
}
/* xterm's button-event tracking (mode 1002): motion is reported while a button is held, which
   ncurses does not ask for by itself. Written through ncurses' output, as its own mouse modes are. */
static inline void tcm_drag_reporting(int on) {
    putp(on ? "\033[?1002h" : "\033[?1002l");
    fflush(stdout);
}
/* A pending mouse event: 0 none or other, 1 left press (or click), 2 motion, 3 left release,
   4 wheel up, 5 wheel down; its cell in x, y. */
static inline int tcm_mouse_event(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    *x = event.x; *y = event.y;
    if (event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) return 1;
    if (event.bstate & BUTTON1_RELEASED) return 3;
    if (event.bstate & BUTTON4_PRESSED) return 4;
    if (event.bstate & BUTTON5_PRESSED) return 5;
    if (event.bstate & REPORT_MOUSE_POSITION) return 2;
    return 0;
}
static inline FILE *tcm_stdout(void) { return stdout; }
static inline FILE *tcm_stdin(void) { return stdin; }
#endif
