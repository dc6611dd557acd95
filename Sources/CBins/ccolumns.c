#include "cbins.h"

#if defined(__AVX2__)
#include <immintrin.h>

// For each 8-bit mask, the positions of its set bits, one per byte, lowest first.
static const uint64_t set_bit_positions[256] = {
    0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000001ull, 0x0000000000000100ull,
    0x0000000000000002ull, 0x0000000000000200ull, 0x0000000000000201ull, 0x0000000000020100ull,
    0x0000000000000003ull, 0x0000000000000300ull, 0x0000000000000301ull, 0x0000000000030100ull,
    0x0000000000000302ull, 0x0000000000030200ull, 0x0000000000030201ull, 0x0000000003020100ull,
    0x0000000000000004ull, 0x0000000000000400ull, 0x0000000000000401ull, 0x0000000000040100ull,
    0x0000000000000402ull, 0x0000000000040200ull, 0x0000000000040201ull, 0x0000000004020100ull,
    0x0000000000000403ull, 0x0000000000040300ull, 0x0000000000040301ull, 0x0000000004030100ull,
    0x0000000000040302ull, 0x0000000004030200ull, 0x0000000004030201ull, 0x0000000403020100ull,
    0x0000000000000005ull, 0x0000000000000500ull, 0x0000000000000501ull, 0x0000000000050100ull,
    0x0000000000000502ull, 0x0000000000050200ull, 0x0000000000050201ull, 0x0000000005020100ull,
    0x0000000000000503ull, 0x0000000000050300ull, 0x0000000000050301ull, 0x0000000005030100ull,
    0x0000000000050302ull, 0x0000000005030200ull, 0x0000000005030201ull, 0x0000000503020100ull,
    0x0000000000000504ull, 0x0000000000050400ull, 0x0000000000050401ull, 0x0000000005040100ull,
    0x0000000000050402ull, 0x0000000005040200ull, 0x0000000005040201ull, 0x0000000504020100ull,
    0x0000000000050403ull, 0x0000000005040300ull, 0x0000000005040301ull, 0x0000000504030100ull,
    0x0000000005040302ull, 0x0000000504030200ull, 0x0000000504030201ull, 0x0000050403020100ull,
    0x0000000000000006ull, 0x0000000000000600ull, 0x0000000000000601ull, 0x0000000000060100ull,
    0x0000000000000602ull, 0x0000000000060200ull, 0x0000000000060201ull, 0x0000000006020100ull,
    0x0000000000000603ull, 0x0000000000060300ull, 0x0000000000060301ull, 0x0000000006030100ull,
    0x0000000000060302ull, 0x0000000006030200ull, 0x0000000006030201ull, 0x0000000603020100ull,
    0x0000000000000604ull, 0x0000000000060400ull, 0x0000000000060401ull, 0x0000000006040100ull,
    0x0000000000060402ull, 0x0000000006040200ull, 0x0000000006040201ull, 0x0000000604020100ull,
    0x0000000000060403ull, 0x0000000006040300ull, 0x0000000006040301ull, 0x0000000604030100ull,
    0x0000000006040302ull, 0x0000000604030200ull, 0x0000000604030201ull, 0x0000060403020100ull,
    0x0000000000000605ull, 0x0000000000060500ull, 0x0000000000060501ull, 0x0000000006050100ull,
    0x0000000000060502ull, 0x0000000006050200ull, 0x0000000006050201ull, 0x0000000605020100ull,
    0x0000000000060503ull, 0x0000000006050300ull, 0x0000000006050301ull, 0x0000000605030100ull,
    0x0000000006050302ull, 0x0000000605030200ull, 0x0000000605030201ull, 0x0000060503020100ull,
    0x0000000000060504ull, 0x0000000006050400ull, 0x0000000006050401ull, 0x0000000605040100ull,
    0x0000000006050402ull, 0x0000000605040200ull, 0x0000000605040201ull, 0x0000060504020100ull,
    0x0000000006050403ull, 0x0000000605040300ull, 0x0000000605040301ull, 0x0000060504030100ull,
    0x0000000605040302ull, 0x0000060504030200ull, 0x0000060504030201ull, 0x0006050403020100ull,
    0x0000000000000007ull, 0x0000000000000700ull, 0x0000000000000701ull, 0x0000000000070100ull,
    0x0000000000000702ull, 0x0000000000070200ull, 0x0000000000070201ull, 0x0000000007020100ull,
    0x0000000000000703ull, 0x0000000000070300ull, 0x0000000000070301ull, 0x0000000007030100ull,
    0x0000000000070302ull, 0x0000000007030200ull, 0x0000000007030201ull, 0x0000000703020100ull,
    0x0000000000000704ull, 0x0000000000070400ull, 0x0000000000070401ull, 0x0000000007040100ull,
    0x0000000000070402ull, 0x0000000007040200ull, 0x0000000007040201ull, 0x0000000704020100ull,
    0x0000000000070403ull, 0x0000000007040300ull, 0x0000000007040301ull, 0x0000000704030100ull,
    0x0000000007040302ull, 0x0000000704030200ull, 0x0000000704030201ull, 0x0000070403020100ull,
    0x0000000000000705ull, 0x0000000000070500ull, 0x0000000000070501ull, 0x0000000007050100ull,
    0x0000000000070502ull, 0x0000000007050200ull, 0x0000000007050201ull, 0x0000000705020100ull,
    0x0000000000070503ull, 0x0000000007050300ull, 0x0000000007050301ull, 0x0000000705030100ull,
    0x0000000007050302ull, 0x0000000705030200ull, 0x0000000705030201ull, 0x0000070503020100ull,
    0x0000000000070504ull, 0x0000000007050400ull, 0x0000000007050401ull, 0x0000000705040100ull,
    0x0000000007050402ull, 0x0000000705040200ull, 0x0000000705040201ull, 0x0000070504020100ull,
    0x0000000007050403ull, 0x0000000705040300ull, 0x0000000705040301ull, 0x0000070504030100ull,
    0x0000000705040302ull, 0x0000070504030200ull, 0x0000070504030201ull, 0x0007050403020100ull,
    0x0000000000000706ull, 0x0000000000070600ull, 0x0000000000070601ull, 0x0000000007060100ull,
    0x0000000000070602ull, 0x0000000007060200ull, 0x0000000007060201ull, 0x0000000706020100ull,
    0x0000000000070603ull, 0x0000000007060300ull, 0x0000000007060301ull, 0x0000000706030100ull,
    0x0000000007060302ull, 0x0000000706030200ull, 0x0000000706030201ull, 0x0000070603020100ull,
    0x0000000000070604ull, 0x0000000007060400ull, 0x0000000007060401ull, 0x0000000706040100ull,
    0x0000000007060402ull, 0x0000000706040200ull, 0x0000000706040201ull, 0x0000070604020100ull,
    0x0000000007060403ull, 0x0000000706040300ull, 0x0000000706040301ull, 0x0000070604030100ull,
    0x0000000706040302ull, 0x0000070604030200ull, 0x0000070604030201ull, 0x0007060403020100ull,
    0x0000000000070605ull, 0x0000000007060500ull, 0x0000000007060501ull, 0x0000000706050100ull,
    0x0000000007060502ull, 0x0000000706050200ull, 0x0000000706050201ull, 0x0000070605020100ull,
    0x0000000007060503ull, 0x0000000706050300ull, 0x0000000706050301ull, 0x0000070605030100ull,
    0x0000000706050302ull, 0x0000070605030200ull, 0x0000070605030201ull, 0x0007060503020100ull,
    0x0000000007060504ull, 0x0000000706050400ull, 0x0000000706050401ull, 0x0000070605040100ull,
    0x0000000706050402ull, 0x0000070605040200ull, 0x0000070605040201ull, 0x0007060504020100ull,
    0x0000000706050403ull, 0x0000070605040300ull, 0x0000070605040301ull, 0x0007060504030100ull,
    0x0000070605040302ull, 0x0007060504030200ull, 0x0007060504030201ull, 0x0706050403020100ull,
};

long tcm_columns_at_least(const float *row, long count, float scale, float floor, int32_t *out) {
    const __m256 one = _mm256_set1_ps(1.0f), s = _mm256_set1_ps(scale), f = _mm256_set1_ps(floor);
    long kept = 0, j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 x = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(row + j), one), s);
        int mask = _mm256_movemask_ps(_mm256_cmp_ps(x, f, _CMP_GE_OQ));
        if (mask == 0) continue;
        __m256i lanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)set_bit_positions[mask]));
        _mm256_storeu_si256((__m256i *)(out + kept), _mm256_add_epi32(lanes, _mm256_set1_epi32((int)j)));
        kept += __builtin_popcount((unsigned)mask);
    }
    for (; j < count; j++) {
        out[kept] = (int32_t)j;
        kept += (row[j] + 1.0f) * scale >= floor;
    }
    return kept;
}

long tcm_columns_both(const float *row, long count, float scale, float floor, const float *floors, int32_t *own,
                      int32_t *theirs, long *theirCount) {
    const __m256 one = _mm256_set1_ps(1.0f), s = _mm256_set1_ps(scale), f = _mm256_set1_ps(floor);
    long kept = 0, given = 0, j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 x = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(row + j), one), s);
        int mine = _mm256_movemask_ps(_mm256_cmp_ps(x, f, _CMP_GE_OQ));
        int yours = _mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_loadu_ps(floors + j), _CMP_GE_OQ));
        const __m256i base = _mm256_set1_epi32((int)j);
        // Stored whatever the masks (an empty one stores lanes that the next store or the end
        // leaves out): with a tenth or more of the similarities kept, most blocks of eight hold
        // one, and a branch on the mask was mispredicted often enough to be half of this loop.
        const __m256i mineLanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)set_bit_positions[mine]));
        _mm256_storeu_si256((__m256i *)(own + kept), _mm256_add_epi32(mineLanes, base));
        kept += __builtin_popcount((unsigned)mine);
        const __m256i yourLanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)set_bit_positions[yours]));
        _mm256_storeu_si256((__m256i *)(theirs + given), _mm256_add_epi32(yourLanes, base));
        given += __builtin_popcount((unsigned)yours);
    }
    for (; j < count; j++) {
        float x = (row[j] + 1.0f) * scale;
        own[kept] = (int32_t)j;
        kept += x >= floor;
        theirs[given] = (int32_t)j;
        given += x >= floors[j];
    }
    *theirCount = given;
    return kept;
}

#else

long tcm_columns_at_least(const float *row, long count, float scale, float floor, int32_t *out) {
    long kept = 0;
    for (long j = 0; j < count; j++) {
        out[kept] = (int32_t)j;
        kept += (row[j] + 1.0f) * scale >= floor;
    }
    return kept;
}

long tcm_columns_both(const float *row, long count, float scale, float floor, const float *floors, int32_t *own,
                      int32_t *theirs, long *theirCount) {
    long kept = 0, given = 0;
    for (long j = 0; j < count; j++) {
        float x = (row[j] + 1.0f) * scale;
        own[kept] = (int32_t)j;
        kept += x >= floor;
        theirs[given] = (int32_t)j;
        given += x >= floors[j];
    }
    *theirCount = given;
    return kept;
}

#endif

long tcm_keys_at_least(const uint32_t *keys, long count, uint32_t least, uint32_t *out) {
    long kept = 0, j = 0;
#if defined(__AVX2__)
    const __m256i tv = _mm256_set1_epi32((int)least);
    for (; j + 8 <= count; j += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(keys + j));
        int mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_max_epu32(x, tv), x)));
        if (mask == 0) continue;
        __m256i lanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)set_bit_positions[mask]));
        _mm256_storeu_si256((__m256i *)(out + kept), _mm256_permutevar8x32_epi32(x, lanes));
        kept += __builtin_popcount((unsigned)mask);
    }
#endif
    for (; j < count; j++) {
        out[kept] = keys[j];
        kept += keys[j] >= least;
    }
    return kept;
}

long tcm_keys_at_most(const uint32_t *keys, long count, uint32_t most, uint32_t *out) {
    long kept = 0, j = 0;
#if defined(__AVX2__)
    const __m256i mv = _mm256_set1_epi32((int)most);
    for (; j + 8 <= count; j += 8) {
        // Loaded before the store, which writes no further than j + 7 (kept <= j): in place is safe.
        __m256i x = _mm256_loadu_si256((const __m256i *)(keys + j));
        int mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_min_epu32(x, mv), x)));
        __m256i lanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)set_bit_positions[mask]));
        _mm256_storeu_si256((__m256i *)(out + kept), _mm256_permutevar8x32_epi32(x, lanes));
        kept += __builtin_popcount((unsigned)mask);
    }
#endif
    for (; j < count; j++) {
        const uint32_t x = keys[j];
        out[kept] = x;
        kept += x <= most;
    }
    return kept;
}

void tcm_count_nearer(const uint32_t *others, long count, const uint32_t *keys, long keyCount, long *before) {
    for (long i = 0; i < keyCount; i++) {
        const uint32_t key = keys[i];
        long p = 0;
        for (long j = 0; j < count; j++) p += others[j] <= key;
        before[p] += 1;
    }
}

void tcm_count_nearer_laid(const uint32_t *laid, const int32_t *ends, uint32_t low, uint32_t high, uint32_t shift,
                           long count, const uint32_t *keys, long keyCount, long *before) {
    for (long i = 0; i < keyCount; i++) {
        const uint32_t key = keys[i];
        long p;
        if (key >= high) {
            p = count;
        } else if (key < low) {
            p = 0;
        } else {
            const long b = (long)((key - low) >> shift), end = ends[b];
            long t = b == 0 ? 0 : ends[b - 1];
            p = t;
#if defined(__AVX2__)
            const __m256i k = _mm256_set1_epi32((int)key);
            // One step for a bucket of up to eight (most), empty ones included: no branch on its size.
            do {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(laid + t));
                const unsigned atMost =
                    (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_max_epu32(x, k), k)));
                const long left = end - t;
                const unsigned lanes = left >= 8 ? 0xffu : (1u << (left > 0 ? left : 0)) - 1u;
                p += __builtin_popcount(atMost & lanes);
                t += 8;
            } while (t < end);
#else
            for (; t < end; t++) p += laid[t] <= key;
#endif
        }
        before[p] += 1;
    }
}
