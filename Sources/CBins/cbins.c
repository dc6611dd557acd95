#include "cbins.h"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

long tcm_bins_at_least(const uint16_t *bins, long count, uint16_t least) {
    long n = 0, j = 0;
#if defined(__AVX2__)
    if (least == 0) return count;
    // AVX2 compares 16-bit lanes as signed: flipping the top bit of both sides maps unsigned order
    // onto signed order, so every bin value (not only those below 32,768) counts right. The lane
    // counts are summed every 2^15 - 1 rounds, before they can wrap.
    const __m256i flip = _mm256_set1_epi16((short)0x8000);
    const __m256i below = _mm256_set1_epi16((short)((uint16_t)(least - 1) ^ 0x8000u));
    while (j + 16 <= count) {
        __m256i lanes = _mm256_setzero_si256();
        for (long stop = j + 16 * 32767 < count ? j + 16 * 32767 : count; j + 16 <= stop; j += 16) {
            __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(bins + j)), flip);
            lanes = _mm256_sub_epi16(lanes, _mm256_cmpgt_epi16(b, below));
        }
        __m256i wide = _mm256_madd_epi16(lanes, _mm256_set1_epi16(1));
        __m128i half = _mm_add_epi32(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
        half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4e));
        half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xb1));
        n += (unsigned)_mm_cvtsi128_si32(half);
    }
#endif
    for (; j < count; j++) n += bins[j] >= least;
    return n;
}
