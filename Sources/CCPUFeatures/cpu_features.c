// cpuid + xgetbv without compiler builtins that require target flags: the checks must run on any
// x86-64 CPU (they decide whether the AVX2 / AVX-512 code may be called at all).
#include "cpu_features.h"
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
    __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static unsigned max_leaf(unsigned base) {
    unsigned r[4];
    cpuid(base, 0, r);
    return r[0];
}

static unsigned long long xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

/// OSXSAVE set (so xgetbv is legal) and every bit of `mask` enabled in XCR0.
static int os_saves(unsigned long long mask) {
    unsigned r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 27))) return 0;
    return (xcr0() & mask) == mask;
}

int tcm_cpu_has_avx2_fma(void) {
    if (max_leaf(0) < 7) return 0;
    unsigned l1[4], l7[4];
    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    int fma = (l1[2] >> 12) & 1, avx = (l1[2] >> 28) & 1, f16c = (l1[2] >> 29) & 1;
    int avx2 = (l7[1] >> 5) & 1;
    return fma && avx && f16c && avx2 && os_saves(0x6);  // XMM (bit 1) and YMM (bit 2) state
}

int tcm_cpu_has_avx512(void) {
    if (!tcm_cpu_has_avx2_fma()) return 0;
    unsigned l7[4];
    cpuid(7, 0, l7);
    unsigned ebx = l7[1];
    int f = (ebx >> 16) & 1, dq = (ebx >> 17) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
    return f && dq && bw && vl && os_saves(0xE6);  // + opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7)
}

int tcm_cpu_brand(char *buffer, int capacity) {
    if (capacity <= 0) return 0;
    buffer[0] = 0;
    if (max_leaf(0x80000000u) < 0x80000004u) return 0;
    char brand[49];
    for (unsigned i = 0; i < 3; i++) {
        unsigned r[4];
        cpuid(0x80000002u + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 0;
    const char *start = brand;
    while (*start == ' ') start++;
    int length = (int)strlen(start);
    while (length > 0 && start[length - 1] == ' ') length--;
    if (length > capacity - 1) length = capacity - 1;
    memcpy(buffer, start, (size_t)length);
    buffer[length] = 0;
    return length;
}

#else

int tcm_cpu_has_avx2_fma(void) { return 0; }
int tcm_cpu_has_avx512(void) { return 0; }
int tcm_cpu_brand(char *buffer, int capacity) {
    if (capacity > 0) buffer[0] = 0;
    return 0;
}

#endif
