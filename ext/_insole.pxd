# Shared, header-only declarations for the insole kernels (no runtime module).

ctypedef fused value_t:
    float
    double
    unsigned char
    unsigned short
    short
    int


# Lane pairs: two doubles that go through the same operations side by side (one SSE2 register).
# The per-frame kernels put *frames* in the lanes, so every frame's sums are formed in one fixed
# order (sensor order) whatever the frame's address or its place in a block: chunked analysis
# equals whole-file analysis bit for bit, without -fassociative-math.  SSE2 is part of every
# x86-64 target (gcc, clang, MSVC), so this needs no -march flag; elsewhere (or with
# INSOLE_NO_SIMD defined) the same operations are plain C on two doubles, with identical results.
cdef extern from * nogil:
    """
    #if !defined(INSOLE_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64))
    #include <emmintrin.h>
    typedef __m128d lp_t;     /* two doubles */
    typedef __m128d lp_mask;  /* two all-ones / all-zeros lanes */
    typedef __m128i lp_n;     /* two 64-bit counters */
    #define lp_zero() _mm_setzero_pd()
    #define lp_set1(x) _mm_set1_pd(x)
    #define lp_set(lo, hi) _mm_set_pd((hi), (lo))
    #define lp_load(p) _mm_loadu_pd(p)
    #define lp_load_a(p) _mm_load_pd(p)  /* p 16-byte aligned */
    #define lp_store(p, a) _mm_storeu_pd((p), (a))
    #define lp_store_lo(p, a) _mm_storel_pd((p), (a))
    #define lp_store_hi(p, a) _mm_storeh_pd((p), (a))
    #define lp_add(a, b) _mm_add_pd((a), (b))
    #define lp_sub(a, b) _mm_sub_pd((a), (b))
    #define lp_mul(a, b) _mm_mul_pd((a), (b))
    #define lp_div(a, b) _mm_div_pd((a), (b))
    #define lp_max(a, b) _mm_max_pd((a), (b))
    #define lp_unpack_lo(a, b) _mm_unpacklo_pd((a), (b))
    #define lp_unpack_hi(a, b) _mm_unpackhi_pd((a), (b))
    #define lp_ge(a, b) _mm_cmpge_pd((a), (b))
    #define lp_not_le(a, b) _mm_cmpnle_pd((a), (b))
    #define lp_not_lt(a, b) _mm_cmpnlt_pd((a), (b))
    #define lp_and(m, n) _mm_and_pd((m), (n))
    #define lp_keep(m, a) _mm_and_pd((m), (a))
    #define lp_select(m, a, b) _mm_or_pd(_mm_and_pd((m), (a)), _mm_andnot_pd((m), (b)))
    /* two small unsigned integers (< 65536) or two ints, exactly, as doubles */
    static inline lp_t lp_set_u16(unsigned int lo, unsigned int hi) {
        return _mm_cvtepi32_pd(_mm_insert_epi16(_mm_cvtsi32_si128((int)lo), (int)hi, 2));
    }
    static inline lp_t lp_set_i32(int lo, int hi) {
        return _mm_cvtepi32_pd(_mm_unpacklo_epi32(_mm_cvtsi32_si128(lo), _mm_cvtsi32_si128(hi)));
    }
    /* float32: four frames of one sensor, from a transposed 4 x 4 tile; c[t] = sensor t of the four rows */
    typedef __m128 lp_f4;
    static inline void lp_tile4_f32(const float *x, Py_ssize_t m, lp_f4 *c) {
        c[0] = _mm_loadu_ps(x);
        c[1] = _mm_loadu_ps(x + m);
        c[2] = _mm_loadu_ps(x + 2 * m);
        c[3] = _mm_loadu_ps(x + 3 * m);
        _MM_TRANSPOSE4_PS(c[0], c[1], c[2], c[3]);
    }
    #define lp_f4_lo(c) _mm_cvtps_pd(c)                      /* frames 0, 1 as doubles */
    #define lp_f4_hi(c) _mm_cvtps_pd(_mm_movehl_ps((c), (c)))  /* frames 2, 3 as doubles */
    #define lp_n_zero() _mm_setzero_si128()
    #define lp_n_inc(n, m) _mm_sub_epi64((n), _mm_castpd_si128(m))  /* an all-ones lane is -1 */
    static inline lp_t lp_n_double(lp_n n) {
        long long c[2];
        _mm_storeu_si128((__m128i *)c, n);
        return _mm_set_pd((double)c[1], (double)c[0]);
    }
    #else
    typedef struct { double v[2]; } lp_t;
    typedef struct { int v[2]; } lp_mask;
    typedef struct { long long v[2]; } lp_n;
    static inline lp_t lp_set(double lo, double hi) { lp_t r; r.v[0] = lo; r.v[1] = hi; return r; }
    static inline lp_t lp_zero(void) { return lp_set(0.0, 0.0); }
    static inline lp_t lp_set1(double x) { return lp_set(x, x); }
    static inline lp_t lp_load(const double *p) { return lp_set(p[0], p[1]); }
    static inline lp_t lp_load_a(const double *p) { return lp_set(p[0], p[1]); }
    static inline void lp_store(double *p, lp_t a) { p[0] = a.v[0]; p[1] = a.v[1]; }
    static inline void lp_store_lo(double *p, lp_t a) { p[0] = a.v[0]; }
    static inline void lp_store_hi(double *p, lp_t a) { p[0] = a.v[1]; }
    static inline lp_t lp_add(lp_t a, lp_t b) { return lp_set(a.v[0] + b.v[0], a.v[1] + b.v[1]); }
    static inline lp_t lp_sub(lp_t a, lp_t b) { return lp_set(a.v[0] - b.v[0], a.v[1] - b.v[1]); }
    static inline lp_t lp_mul(lp_t a, lp_t b) { return lp_set(a.v[0] * b.v[0], a.v[1] * b.v[1]); }
    static inline lp_t lp_div(lp_t a, lp_t b) { return lp_set(a.v[0] / b.v[0], a.v[1] / b.v[1]); }
    static inline lp_t lp_max(lp_t a, lp_t b) {  /* as SSE2 maxpd: b unless a > b */
        return lp_set(a.v[0] > b.v[0] ? a.v[0] : b.v[0], a.v[1] > b.v[1] ? a.v[1] : b.v[1]);
    }
    static inline lp_t lp_unpack_lo(lp_t a, lp_t b) { return lp_set(a.v[0], b.v[0]); }
    static inline lp_t lp_unpack_hi(lp_t a, lp_t b) { return lp_set(a.v[1], b.v[1]); }
    static inline lp_mask lp_mask_of(int lo, int hi) { lp_mask m; m.v[0] = lo; m.v[1] = hi; return m; }
    static inline lp_mask lp_ge(lp_t a, lp_t b) { return lp_mask_of(a.v[0] >= b.v[0], a.v[1] >= b.v[1]); }
    static inline lp_mask lp_not_le(lp_t a, lp_t b) { return lp_mask_of(!(a.v[0] <= b.v[0]), !(a.v[1] <= b.v[1])); }
    static inline lp_mask lp_not_lt(lp_t a, lp_t b) { return lp_mask_of(!(a.v[0] < b.v[0]), !(a.v[1] < b.v[1])); }
    static inline lp_mask lp_and(lp_mask m, lp_mask n) { return lp_mask_of(m.v[0] && n.v[0], m.v[1] && n.v[1]); }
    static inline lp_t lp_keep(lp_mask m, lp_t a) { return lp_set(m.v[0] ? a.v[0] : 0.0, m.v[1] ? a.v[1] : 0.0); }
    static inline lp_t lp_select(lp_mask m, lp_t a, lp_t b) {
        return lp_set(m.v[0] ? a.v[0] : b.v[0], m.v[1] ? a.v[1] : b.v[1]);
    }
    typedef struct { float v[4]; } lp_f4;
    static inline void lp_tile4_f32(const float *x, Py_ssize_t m, lp_f4 *c) {
        int t, b;
        for (t = 0; t < 4; t++) for (b = 0; b < 4; b++) c[t].v[b] = x[b * m + t];
    }
    static inline lp_t lp_f4_lo(lp_f4 c) { return lp_set((double)c.v[0], (double)c.v[1]); }
    static inline lp_t lp_f4_hi(lp_f4 c) { return lp_set((double)c.v[2], (double)c.v[3]); }
    static inline lp_t lp_set_u16(unsigned int lo, unsigned int hi) { return lp_set((double)lo, (double)hi); }
    static inline lp_t lp_set_i32(int lo, int hi) { return lp_set((double)lo, (double)hi); }
    static inline lp_n lp_n_zero(void) { lp_n n; n.v[0] = 0; n.v[1] = 0; return n; }
    static inline lp_n lp_n_inc(lp_n n, lp_mask m) { n.v[0] += m.v[0] != 0; n.v[1] += m.v[1] != 0; return n; }
    static inline lp_t lp_n_double(lp_n n) { return lp_set((double)n.v[0], (double)n.v[1]); }
    #endif
    """
    ctypedef struct lp_t:
        pass
    ctypedef struct lp_mask:
        pass
    ctypedef struct lp_n:
        pass
    ctypedef struct lp_f4:
        pass
    lp_t lp_zero()
    lp_t lp_set1(double x)
    lp_t lp_set(double lo, double hi)
    lp_t lp_set_u16(unsigned int lo, unsigned int hi)  # both < 65536, exactly
    lp_t lp_set_i32(int lo, int hi)  # exactly
    lp_t lp_load(const double* p)
    lp_t lp_load_a(const double* p)  # p 16-byte aligned
    void lp_store(double* p, lp_t a)
    void lp_store_lo(double* p, lp_t a)
    void lp_store_hi(double* p, lp_t a)
    lp_t lp_add(lp_t a, lp_t b)
    lp_t lp_sub(lp_t a, lp_t b)
    lp_t lp_mul(lp_t a, lp_t b)
    lp_t lp_div(lp_t a, lp_t b)
    lp_t lp_max(lp_t a, lp_t b)  # b unless a > b (SSE2 maxpd)
    lp_t lp_unpack_lo(lp_t a, lp_t b)  # (a[0], b[0])
    lp_t lp_unpack_hi(lp_t a, lp_t b)  # (a[1], b[1])
    lp_mask lp_ge(lp_t a, lp_t b)  # a >= b (false for NaN)
    lp_mask lp_not_le(lp_t a, lp_t b)  # not (a <= b) (true for NaN)
    lp_mask lp_not_lt(lp_t a, lp_t b)  # not (a < b) (true for NaN)
    lp_mask lp_and(lp_mask m, lp_mask n)
    lp_t lp_keep(lp_mask m, lp_t a)  # a where m, else +0.0
    lp_t lp_select(lp_mask m, lp_t a, lp_t b)  # a where m, else b
    void lp_tile4_f32(const float* x, Py_ssize_t m, lp_f4* c)  # c[t]: x[0:4m:m][t], four frames
    lp_t lp_f4_lo(lp_f4 c)  # frames 0, 1 as doubles
    lp_t lp_f4_hi(lp_f4 c)  # frames 2, 3 as doubles
    lp_n lp_n_zero()  # two integer counters
    lp_n lp_n_inc(lp_n n, lp_mask m)  # n + 1 where m
    lp_t lp_n_double(lp_n n)
