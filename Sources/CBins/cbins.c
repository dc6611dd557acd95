#include "cbins.h"

void tcm_threshold_bins(const float *values, long count, float scale, int top, uint16_t *bins) {
    const float ceiling = (float)top;
    for (long j = 0; j < count; j++) {
        float x = (values[j] + 1.0f) * scale;
        // Clamping in float first is the same as clamping the truncated integer: trunc(x) ≤ 0 for
        // every x < 1 (0 for x in (−1, 1)), and trunc(x) ≥ top exactly when x ≥ top.
        x = x > 0.0f ? x : 0.0f;
        x = x < ceiling ? x : ceiling;
        bins[j] = (uint16_t)(int)x;
    }
}
