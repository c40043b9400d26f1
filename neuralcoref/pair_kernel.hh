/* The pair scorer of `resolution.pyx` (`Linker.score_and_link`, `Linker.link_cached`): one pair
   through a pair net with one hidden layer, in plain C, the compiler's vector extension or AVX2,
   chosen at run time (`resolution.simd`). Declared to Cython in resolution.pyx. */
#ifndef NEURALCOREF_PAIR_KERNEL_HH
#define NEURALCOREF_PAIR_KERNEL_HH

#include <stdint.h>
#include <string.h>

/* One pair through a pair net with one hidden layer, in the numpy Scorer's order of operations:
   h = ((as_ant + as_ment) + feats @ feat_weights) + bias; relu; h @ out_weights + out_bias.
   Pair features are 0/1, so `feats @ feat_weights` is the sum of the weight rows of the active
   columns, added in column order as the matrix product adds them. The dot product keeps 8
   partial sums (lane k % 8), then adds them in a fixed tree. Every variant below (AVX2, SSE/NEON
   through the compiler's vector extension, plain C) does the same float operations in the same
   order (no fused multiply-add), so all give the same bits. */
#if defined(__GNUC__) || defined(__clang__)
#define NC_VECTOR_EXTENSION 1
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  /* 32-byte vectors only live inside always_inline code */
#endif
typedef float nc_v4 __attribute__((vector_size(16)));
typedef int32_t nc_v4i __attribute__((vector_size(16)));
typedef float nc_v8 __attribute__((vector_size(32)));
typedef int32_t nc_v8i __attribute__((vector_size(32)));

template <typename V>
static inline __attribute__((always_inline)) V nc_load(const float* p) {
    V v;
    memcpy(&v, p, sizeof(V));
    return v;
}

template <typename V, typename VI>
static inline __attribute__((always_inline)) float nc_pair_score_vec(
        const float* as_ant, const float* as_ment, const float* feat_weights, const int32_t* active,
        int n_active, const float* bias, const float* out_weights, float out_bias, int width) {
    const int L = sizeof(V) / sizeof(float), Q = 8 / L;
    const V zero = {};
    V acc[Q];
    float lanes[8];
    int k = 0, q, f;
    for (q = 0; q < Q; q++) acc[q] = zero;
    for (; k + 8 <= width; k += 8) {
        for (q = 0; q < Q; q++) {
            const int o = k + q * L;
            V v = nc_load<V>(as_ant + o) + nc_load<V>(as_ment + o);
            if (n_active > 0) {
                V sum = nc_load<V>(feat_weights + (size_t)active[0] * width + o);
                for (f = 1; f < n_active; f++) sum += nc_load<V>(feat_weights + (size_t)active[f] * width + o);
                v += sum;
            } else {
                v += zero;
            }
            v += nc_load<V>(bias + o);
            v = (V)((VI)v & (VI)(v > zero));
            acc[q] += v * nc_load<V>(out_weights + o);
        }
    }
    memcpy(lanes, acc, sizeof(lanes));
    for (; k < width; k++) {
        float sum = 0.0f, value = as_ant[k] + as_ment[k];
        for (f = 0; f < n_active; f++) {
            const float w = feat_weights[(size_t)active[f] * width + k];
            sum = f == 0 ? w : sum + w;
        }
        value = (value + sum) + bias[k];
        lanes[0] += (value > 0.0f ? value : 0.0f) * out_weights[k];
    }
    return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])))
           + out_bias;
}
#if defined(__x86_64__) || defined(__i386__)
#define NC_HAVE_AVX2_PATH 1
__attribute__((target("avx2"))) static float nc_pair_score_avx2(
        const float* as_ant, const float* as_ment, const float* feat_weights, const int32_t* active,
        int n_active, const float* bias, const float* out_weights, float out_bias, int width) {
    return nc_pair_score_vec<nc_v8, nc_v8i>(as_ant, as_ment, feat_weights, active, n_active, bias,
                                            out_weights, out_bias, width);
}
static int nc_avx2 = -1;  /* -1: not checked yet */
static int nc_use_avx2(void) {
    if (nc_avx2 < 0) {
        __builtin_cpu_init();
        nc_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return nc_avx2;
}
#else
#define NC_HAVE_AVX2_PATH 0
static int nc_avx2 = 0;
static int nc_use_avx2(void) { return 0; }
#endif
#else  /* no vector extension (MSVC): plain C, same operations */
#define NC_VECTOR_EXTENSION 0
#define NC_HAVE_AVX2_PATH 0
static int nc_avx2 = 0;
static int nc_use_avx2(void) { return 0; }
#endif

static float nc_pair_score_scalar(const float* as_ant, const float* as_ment, const float* feat_weights,
                                  const int32_t* active, int n_active, const float* bias,
                                  const float* out_weights, float out_bias, int width) {
    float lanes[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int k, f, n8 = width - width % 8;
    for (k = 0; k < width; k++) {
        float sum = 0.0f, value = as_ant[k] + as_ment[k];
        for (f = 0; f < n_active; f++) {
            const float w = feat_weights[(size_t)active[f] * width + k];
            sum = f == 0 ? w : sum + w;
        }
        value = (value + sum) + bias[k];
        lanes[k < n8 ? k % 8 : 0] += (value > 0.0f ? value : 0.0f) * out_weights[k];
    }
    return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])))
           + out_bias;
}

/* The bilinear term of the pair score, a . b over `width` floats: 8 partial sums (lane k % 8) added
   in the same fixed tree as above, in plain C for every instruction set (the compiler may
   vectorize the lanes; it may not reorder the additions), so all levels give the same bits. */
static inline float nc_dot(const float* a, const float* b, int width) {
    float lanes[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int k;
    for (k = 0; k < width; k++) lanes[k % 8] += a[k] * b[k];
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

/* 0: plain C, 1: compiler vector extension (SSE2/NEON), 2: AVX2 where the CPU has it */
static int nc_simd_level = -1;

static int nc_get_simd(void) {
    if (nc_simd_level < 0) nc_simd_level = nc_use_avx2() ? 2 : NC_VECTOR_EXTENSION;
    return nc_simd_level;
}

static int nc_set_simd(int level) {
    int best = nc_use_avx2() ? 2 : NC_VECTOR_EXTENSION;
    nc_simd_level = level < 0 || level > best ? best : level;
    return nc_simd_level;
}

static inline float nc_pair_score(int simd, const float* as_ant, const float* as_ment,
                                  const float* feat_weights, const int32_t* active, int n_active,
                                  const float* bias, const float* out_weights, float out_bias, int width) {
#if NC_VECTOR_EXTENSION
#if NC_HAVE_AVX2_PATH
    if (simd == 2) return nc_pair_score_avx2(as_ant, as_ment, feat_weights, active, n_active, bias,
                                             out_weights, out_bias, width);
#endif
    if (simd >= 1) return nc_pair_score_vec<nc_v4, nc_v4i>(as_ant, as_ment, feat_weights, active, n_active,
                                                           bias, out_weights, out_bias, width);
#endif
    return nc_pair_score_scalar(as_ant, as_ment, feat_weights, active, n_active, bias, out_weights,
                                out_bias, width);
}

#endif  /* NEURALCOREF_PAIR_KERNEL_HH */
