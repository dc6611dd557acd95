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

void tcm_bin_range(const uint16_t *bins, long rows, long cols, long stride, uint16_t *lowest, uint16_t *highest) {
    uint16_t lo = UINT16_MAX, hi = 0;
    for (long r = 0; r < rows; r++) {
        const uint16_t *row = bins + r * stride;
        for (long j = 0; j < cols; j++) {
            lo = row[j] < lo ? row[j] : lo;
            hi = row[j] > hi ? row[j] : hi;
        }
    }
    *lowest = lo;
    *highest = hi;
}

void tcm_column_bin_ranges(const uint16_t *bins, long rows, long cols, long stride, uint16_t *lowest,
                           uint16_t *highest) {
    for (long j = 0; j < cols; j++) {
        lowest[j] = UINT16_MAX;
        highest[j] = 0;
    }
    for (long r = 0; r < rows; r++) {
        const uint16_t *row = bins + r * stride;
        for (long j = 0; j < cols; j++) {
            lowest[j] = row[j] < lowest[j] ? row[j] : lowest[j];
            highest[j] = row[j] > highest[j] ? row[j] : highest[j];
        }
    }
}
