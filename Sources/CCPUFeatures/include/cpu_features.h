#ifndef TCMSCOPE_CPU_FEATURES_H
#define TCMSCOPE_CPU_FEATURES_H

/// 1 when the CPU and the OS (XSAVE state enabled in XCR0) support AVX2 + FMA + F16C; 0 otherwise,
/// and always 0 off x86-64.
int tcm_cpu_has_avx2_fma(void);

/// 1 when the CPU has AVX-512 F, BW, VL and DQ and the OS saves the opmask and zmm state
/// (XCR0 bits 1, 2, 5, 6, 7); 0 otherwise, and always 0 off x86-64.
int tcm_cpu_has_avx512(void);

/// The CPU brand string (cpuid 0x80000002–4), trimmed, into `buffer` (NUL-terminated, at most
/// `capacity` bytes). Returns the length written; 0 off x86-64 or when the CPU has no brand string.
int tcm_cpu_brand(char *buffer, int capacity);

#endif
