#ifndef TCMSCOPE_CBINS_H
#define TCMSCOPE_CBINS_H
#include <stdint.h>

/// bins[j] = min(max(trunc((values[j] + 1) * scale), 0), top) for j < count: the threshold bin of
/// each similarity, exactly as `ThresholdBins.bin(of:)` computes it (NaN → 0) (top must be < 65,536).
/// In C because clang vectorises the float → int conversion (vcvttps2dq), which Swift's checked
/// `Int(Float)` keeps scalar.
void tcm_threshold_bins(const float *values, long count, float scale, int top, uint16_t *bins);

/// The lowest and highest of the bins of a `rows` × `cols` block whose rows are `stride` apart
/// (an empty block, rows or cols 0, gives lowest 65,535 > highest 0: nothing to prepare): a
/// vectorised min/max, so that a fold can make a histogram's pages writable before it counts into
/// them (see `HistogramSpans`).
void tcm_bin_range(const uint16_t *bins, long rows, long cols, long stride, uint16_t *lowest, uint16_t *highest);

/// The same per column: lowest[j] and highest[j] of column j < cols over the block's rows (rows ≥ 1),
/// a row at a time so that it vectorises across the columns.
void tcm_column_bin_ranges(const uint16_t *bins, long rows, long cols, long stride, uint16_t *lowest,
                           uint16_t *highest);

/// Adds a rows × cols block of bins whose rows are `stride` apart to a histogram of 16-bit counters
/// that may wrap, a row at a time, and writes the bin of each counter that wrapped to zero (once per
/// wrap) to `wrapped`, which must hold rows × cols entries; returns how many it wrote.
long tcm_add_wrapping_block(const uint16_t *bins, long rows, long cols, long stride, uint16_t *histogram,
                            uint32_t *wrapped);

/// Adds a rows × cols block of bins (rows `stride` apart) to a histogram of 16-bit counters that
/// the caller knows none of can wrap (`WrapHeadroom`). Where rows > 1 and cols < 8 it reads 8 bins
/// of each row (counting cols of them): the buffer must hold 8 from each row's start.
void tcm_add_unchecked_block(const uint16_t *bins, long rows, long cols, long stride, uint16_t *histogram);

/// Rows a[0 ..< m] (lda apart, d floats each) as the GEMM micro-kernel's left panels: each 6 rows
/// stored dimension-major (dst[p * 6 + r] of panel ir at dst + ir * d), the last panel zero-padded.
void tcm_pack_six_row_panels(const float *a, long lda, long m, long d, float *dst);

/// How many of bins[j], j < count, are >= least, sixteen lanes at a time (any uint16 values).
/// Retrieval's cut from a query's sample,
/// found by bisection: cheaper than filling a 2,049-bucket histogram a query.
long tcm_bins_at_least(const uint16_t *bins, long count, uint16_t least);

/// Writes the columns j < count with (row[j] + 1) * scale >= floor (in float, as written) to
/// `out`, ascending, and returns how many. `out` must hold count + 8 entries (the vector path
/// stores 8 lanes at a time past the last kept one). Retrieval's candidate gathering for large
/// classes: eight columns a step with a table of lane permutations (AVX2), where a Swift loop
/// appending to an array took a fifth of a 10k × 128 analysis.
long tcm_columns_at_least(const float *row, long count, float scale, float floor, int32_t *out);

/// Both at once, from one pass over the row: the columns with (row[j] + 1) * scale >= floor to
/// `own` (their count returned) and those >= floors[j] to `theirs` (their count in *theirCount);
/// each output must hold count + 8. Retrieval's candidate lists, which take each similarity of
/// the half product for both its ends.
long tcm_columns_both(const float *row, long count, float scale, float floor, const float *floors, int32_t *own,
                      int32_t *theirs, long *theirCount);

/// Writes the keys[j], j < count, that are >= least to `out`, in order of j, and returns how many
/// (`out` must hold count + 8 entries: the vector path stores eight lanes at a time). Retrieval's
/// same-class items that some other-class item is nearer than: a scalar Swift loop over a query's
/// ~1,000 of them was half of ranking it from its candidate list.
long tcm_keys_at_least(const uint32_t *keys, long count, uint32_t least, uint32_t *out);

/// Writes the keys[j], j < count, that are <= most to `out`, in order of j, and returns how many;
/// `out` may be `keys` (compacted in place), else it must hold count + 8 entries. Retrieval's
/// candidates past a query's cut dropped without a branch on each (mispredicted a third of the time).
long tcm_keys_at_most(const uint32_t *keys, long count, uint32_t most, uint32_t *out);

/// For each of the `keyCount` keys, p = how many of the `count` others are at most it; adds one to
/// before[p]. Retrieval's same-class items against the few other-class items among a query's
/// nearest (an other's key is at most a same-class item's exactly when it is nearer; see
/// `Retrieval.outcome(same:…)`): clang vectorises the count (a Swift loop stayed scalar, with a
/// mispredicted branch a pair).
void tcm_count_nearer(const uint32_t *others, long count, const uint32_t *keys, long keyCount, long *before);

/// For each of the `keyCount` keys, p = how many of `count` others are at most it; adds one to
/// before[p]. The others are laid out in buckets of (key - low) >> shift, bucket b ending at
/// ends[b] in `laid` (which must hold count + 8: eight lanes are read at a time), every other
/// between low and high. A key's p is the others of the buckets below its own plus those of its own
/// at most it, counted eight at a time (a branch per other of the bucket was mispredicted about
/// once a key, two thirds of the Swift loop's time on overlapping classes).
void tcm_count_nearer_laid(const uint32_t *laid, const int32_t *ends, uint32_t low, uint32_t high, uint32_t shift,
                           long count, const uint32_t *keys, long keyCount, long *before);

#endif
