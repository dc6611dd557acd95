#include "cbins.h"

// Why C: the Swift loop (one row's floats at a time, stored 6 apart) packed at 0.73 ns a float,
// 2.8 % of a SOP-sized analyze; six rows a step, which clang vectorises into shuffles, pack at
// 0.19 ns (0.33 ns for the row-at-a-time loop in C), measured on 96 × 512 blocks.
void tcm_pack_six_row_panels(const float *restrict a, long lda, long m, long d, float *restrict dst) {
    long ir = 0;
    for (; ir + 6 <= m; ir += 6) {
        float *restrict panel = dst + ir * d;
        const float *s0 = a + ir * lda, *s1 = s0 + lda, *s2 = s1 + lda, *s3 = s2 + lda, *s4 = s3 + lda,
                    *s5 = s4 + lda;
        for (long p = 0; p < d; p++) {
            panel[p * 6] = s0[p];
            panel[p * 6 + 1] = s1[p];
            panel[p * 6 + 2] = s2[p];
            panel[p * 6 + 3] = s3[p];
            panel[p * 6 + 4] = s4[p];
            panel[p * 6 + 5] = s5[p];
        }
    }
    if (ir < m) {
        float *panel = dst + ir * d;
        const long rows = m - ir;
        for (long p = 0; p < d; p++)
            for (long r = 0; r < 6; r++) panel[p * 6 + r] = r < rows ? a[(ir + r) * lda + p] : 0.0f;
    }
}
