#ifndef TCMSCOPE_CBINS_H
#define TCMSCOPE_CBINS_H
#include <stdint.h>

/// bins[j] = min(max(trunc((values[j] + 1) * scale), 0), top) for j < count: the threshold bin of
/// each similarity, exactly as `ThresholdBins.bin(of:)` computes it (NaN → 0) (top must be < 65,536).
/// In C because clang vectorises the float → int conversion (vcvttps2dq), which Swift's checked
/// `Int(Float)` keeps scalar.
void tcm_threshold_bins(const float *values, long count, float scale, int top, uint16_t *bins);

#endif
