"""Per-frame features of an (n_frames, n_sensors) array in one pass.

Compiled twin of :func:`insole.kernels._reference.frame_features`; the public,
validating wrapper is :func:`insole.kernels.frame_features`.  Nothing here
validates: the wrapper guarantees C-contiguous input, matching lengths and
allocated outputs.  The per-frame work runs on raw pointers (memoryview
arguments per call would cost reference counting on every frame).

How it is fast (figures: ``benchmarks/bench_frame_features.py``):

* Frames go through in blocks of ``BLK`` = 8, two frames per SSE2 register
  (a *lane pair*, see ``_insole.pxd``): every operation on a sensor is done
  for eight frames at once, with the sensor's scale, centroid and
  calibration loaded once per block, and there is no per-frame loop
  overhead, which matters most with few sensors.
* Loaded-or-not is a compare and a mask (branch-free, so unpredictable
  loading costs nothing); calibration of raw counts is fused in.
* The forces of a block are kept as ``ft[sensor, frame]``, so a region is a
  run over its CSR entries of ``acc += ft[idx] * w``, a vector operation over
  the block's frames with one scalar weight: no gather and no scatter per
  frame, and fractional weights and sensors shared by regions cost nothing
  extra.  Regions whose weights are all 1 skip the products; regions go in
  pairs so that a frame's two results are one store.  The only per-call
  preparation is O(n_sensors + n_entries): weights laid out as lane pairs.
* Where the CPU has AVX2 (checked once at import), float32 and uint16 frames go
  four to a register instead (``insole_quad_*`` below): the same operations in
  the same order, so the results are bit-identical to the lane pairs.
* ``prange`` over blocks (dynamic schedule, so that a core shared with other
  work does not hold the other thread up); each thread owns its scratch block.

Every frame's sums are formed in sensor order (CSR order for regions)
whatever the frame's address, block or thread: results are bit-identical
between chunked and whole-file analysis and between thread counts.  They
agree with the NumPy twin, which sums in other orders, to rounding.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport NAN, nextafter
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from _insole cimport (
    lp_add, lp_and, lp_div, lp_f4, lp_f4_hi, lp_f4_lo, lp_ge, lp_keep, lp_load_a, lp_mask, lp_mul, lp_n,
    lp_n_double, lp_n_inc,
    lp_n_zero, lp_not_le, lp_not_lt, lp_select, lp_set, lp_set1, lp_set_i32, lp_set_u16, lp_store,
    lp_store_hi, lp_store_lo, lp_sub, lp_t, lp_tile4_f32, lp_unpack_hi, lp_unpack_lo, lp_zero, value_t,
)


# Four frames per AVX register where the CPU has AVX2 (checked once at import; INSOLE_NO_AVX=1 or
# set_avx(False) turns it off): the same operations in the same order as the lane pairs, so the
# results are bit-identical to the SSE2 path (IEEE add, mul, div and compares do not depend on the
# vector width; no FMA is enabled, so nothing is contracted).  Used for float32 and uint16 input
# (the usual kPa exports and raw ADC counts), with or without fused calibration.
cdef extern from * nogil:
    """
    #if !defined(INSOLE_NO_SIMD) && defined(__GNUC__) && defined(__x86_64__)
    #include <immintrin.h>
    #define INSOLE_HAVE_AVX2_PATH 1
    static int insole_avx2_cpu(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2"); }
    /* frames rows[0..3] (row stride m) of float32 values: forces into ft[j*8 + 0..3], total force
       into force_out[0..3], COP (ap, ml) pairs into cop_out[0..7]; wt as the lane-pair table (NW = 10
       doubles per sensor: scale, ap, ml, offset, gain, each twice). */
    #define INSOLE_AVX __attribute__((target("avx2")))
    typedef struct { __m256d thr, one, tot, map, mml, cnt; } insole_quad_acc;
    /* one sensor (weights w) in four frames p: the lane pairs' _sensor_step, four lanes wide */
    static inline INSOLE_AVX void insole_quad_step(insole_quad_acc *a, __m256d p, const double *w, int calibrated,
                                                   double *ftj) {
        if (calibrated)
            p = _mm256_mul_pd(_mm256_sub_pd(p, _mm256_broadcast_sd(w + 6)), _mm256_broadcast_sd(w + 8));
        __m256d l = _mm256_cmp_pd(p, a->thr, _CMP_GE_OS);
        __m256d f = _mm256_and_pd(l, _mm256_mul_pd(p, _mm256_broadcast_sd(w)));
        a->cnt = _mm256_add_pd(a->cnt, _mm256_and_pd(l, a->one));
        a->tot = _mm256_add_pd(a->tot, f);
        a->map = _mm256_add_pd(a->map, _mm256_mul_pd(f, _mm256_broadcast_sd(w + 2)));
        a->mml = _mm256_add_pd(a->mml, _mm256_mul_pd(f, _mm256_broadcast_sd(w + 4)));
        _mm256_storeu_pd(ftj, f);
    }
    static inline INSOLE_AVX void insole_quad_init(insole_quad_acc *a, double thr_v) {
        a->thr = _mm256_set1_pd(thr_v);
        a->one = _mm256_set1_pd(1.0);
        a->tot = a->map = a->mml = a->cnt = _mm256_setzero_pd();
    }
    /* the lane pairs' _finish_pair: NaN COP where total <= 0, total < cop_min or too few loaded sensors */
    static inline INSOLE_AVX void insole_quad_finish(const insole_quad_acc *a, double cop_min, double min_active,
                                                     double *force_out, double *cop_out) {
        __m256d zero = _mm256_setzero_pd();
        __m256d ok = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(a->tot, zero, _CMP_NLE_UQ),
                                                 _mm256_cmp_pd(a->tot, _mm256_set1_pd(cop_min), _CMP_NLT_UQ)),
                                   _mm256_cmp_pd(a->cnt, _mm256_set1_pd(min_active), _CMP_NLT_UQ));
        __m256d d = _mm256_blendv_pd(a->one, a->tot, ok);
        __m256d nan = _mm256_set1_pd(__builtin_nan(""));
        __m256d cap = _mm256_blendv_pd(nan, _mm256_div_pd(a->map, d), ok);
        __m256d cml = _mm256_blendv_pd(nan, _mm256_div_pd(a->mml, d), ok);
        _mm256_storeu_pd(force_out, a->tot);
        __m256d lo = _mm256_unpacklo_pd(cap, cml), hi = _mm256_unpackhi_pd(cap, cml);
        _mm256_storeu_pd(cop_out, _mm256_permute2f128_pd(lo, hi, 0x20));
        _mm256_storeu_pd(cop_out + 4, _mm256_permute2f128_pd(lo, hi, 0x31));
    }
    /* frames rows[0..3] (row stride m): forces into ft[j*8 + 0..3], total force into force_out[0..3],
       COP (ap, ml) pairs into cop_out[0..7]; wt: the lane-pair table (10 doubles per sensor). */
    static INSOLE_AVX void insole_quad_f32(const float *rows, Py_ssize_t m, const double *wt, int calibrated,
                                           double thr_v, double cop_min, double min_active, double *ft,
                                           double *force_out, double *cop_out) {
        insole_quad_acc a;
        Py_ssize_t j = 0, t;
        insole_quad_init(&a, thr_v);
        for (; j + 4 <= m; j += 4) {
            __m128 c0 = _mm_loadu_ps(rows + j), c1 = _mm_loadu_ps(rows + m + j);
            __m128 c2 = _mm_loadu_ps(rows + 2 * m + j), c3 = _mm_loadu_ps(rows + 3 * m + j);
            _MM_TRANSPOSE4_PS(c0, c1, c2, c3);
            __m128 cs[4] = {c0, c1, c2, c3};
            for (t = 0; t < 4; t++)
                insole_quad_step(&a, _mm256_cvtps_pd(cs[t]), wt + 10 * (j + t), calibrated, ft + 8 * (j + t));
        }
        for (; j < m; j++)
            insole_quad_step(&a, _mm256_set_pd((double)rows[3 * m + j], (double)rows[2 * m + j], (double)rows[m + j],
                                               (double)rows[j]), wt + 10 * j, calibrated, ft + 8 * j);
        insole_quad_finish(&a, cop_min, min_active, force_out, cop_out);
    }
    static INSOLE_AVX void insole_quad_u16(const unsigned short *rows, Py_ssize_t m, const double *wt, int calibrated,
                                           double thr_v, double cop_min, double min_active, double *ft,
                                           double *force_out, double *cop_out) {
        insole_quad_acc a;
        Py_ssize_t j = 0;
        insole_quad_init(&a, thr_v);
        for (; j + 4 <= m; j += 4) {  /* a 4 x 4 tile of uint16, transposed: four frames of each sensor */
            __m128i r0 = _mm_loadl_epi64((const __m128i *)(rows + j));
            __m128i r1 = _mm_loadl_epi64((const __m128i *)(rows + m + j));
            __m128i r2 = _mm_loadl_epi64((const __m128i *)(rows + 2 * m + j));
            __m128i r3 = _mm_loadl_epi64((const __m128i *)(rows + 3 * m + j));
            __m128i t0 = _mm_unpacklo_epi16(r0, r1), t1 = _mm_unpacklo_epi16(r2, r3);
            __m128i u0 = _mm_unpacklo_epi32(t0, t1), u1 = _mm_unpackhi_epi32(t0, t1);
            insole_quad_step(&a, _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(u0)), wt + 10 * j, calibrated, ft + 8 * j);
            insole_quad_step(&a, _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(_mm_srli_si128(u0, 8))), wt + 10 * (j + 1),
                             calibrated, ft + 8 * (j + 1));
            insole_quad_step(&a, _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(u1)), wt + 10 * (j + 2), calibrated,
                             ft + 8 * (j + 2));
            insole_quad_step(&a, _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(_mm_srli_si128(u1, 8))), wt + 10 * (j + 3),
                             calibrated, ft + 8 * (j + 3));
        }
        for (; j < m; j++)
            insole_quad_step(&a, _mm256_set_pd((double)rows[3 * m + j], (double)rows[2 * m + j], (double)rows[m + j],
                                               (double)rows[j]), wt + 10 * j, calibrated, ft + 8 * j);
        insole_quad_finish(&a, cop_min, min_active, force_out, cop_out);
    }
    #else
    #define INSOLE_HAVE_AVX2_PATH 0
    static int insole_avx2_cpu(void) { return 0; }
    static void insole_quad_f32(const float *rows, Py_ssize_t m, const double *wt, int calibrated, double thr_v,
                                double cop_min, double min_active, double *ft, double *force_out, double *cop_out) {
        (void)rows; (void)m; (void)wt; (void)calibrated; (void)thr_v; (void)cop_min; (void)min_active; (void)ft;
        (void)force_out; (void)cop_out;
    }
    static void insole_quad_u16(const unsigned short *rows, Py_ssize_t m, const double *wt, int calibrated,
                                double thr_v, double cop_min, double min_active, double *ft, double *force_out,
                                double *cop_out) {
        (void)rows; (void)m; (void)wt; (void)calibrated; (void)thr_v; (void)cop_min; (void)min_active; (void)ft;
        (void)force_out; (void)cop_out;
    }
    #endif
    """
    int insole_avx2_cpu()
    void insole_quad_f32(const float* rows, Py_ssize_t m, const double* wt, int calibrated, double thr_v,
                         double cop_min, double min_active, double* ft, double* force_out, double* cop_out)
    void insole_quad_u16(const unsigned short* rows, Py_ssize_t m, const double* wt, int calibrated, double thr_v,
                         double cop_min, double min_active, double* ft, double* force_out, double* cop_out)


cdef bint _use_avx = False


def set_avx(bint on) -> bool:
    """Use the AVX2 path (float32 and uint16 input) when the CPU has it (for tests and benchmarks).

    Returns whether it is now in use (False on a CPU or build without it).
    """
    global _use_avx
    _use_avx = bool(on) and insole_avx2_cpu() != 0
    return _use_avx


def avx_in_use() -> bool:
    """Whether float32 and uint16 frames go through the AVX2 path."""
    return _use_avx


import os as _os

set_avx(not _os.environ.get("INSOLE_NO_AVX"))


cdef enum:
    BLK = 8  # frames per block: four lane pairs
    NW = 10  # doubles per sensor in the weights table: scale, ap, ml, offset, gain, each twice


cdef inline lp_t _pair(const value_t* x, Py_ssize_t m) noexcept nogil:
    """Values of one sensor in two consecutive frames (``x`` at the first), as doubles (exactly)."""
    if value_t is float or value_t is double:
        return lp_set(<double>x[0], <double>x[m])
    elif sizeof(value_t) <= 2 and <value_t>-1 > 0:  # uint8, uint16: one integer insert, one convert
        return lp_set_u16(<unsigned int>x[0], <unsigned int>x[m])
    else:
        return lp_set_i32(<int>x[0], <int>x[m])


cdef inline void _finish_pair(
    lp_t total, lp_t mom_ap, lp_t mom_ml, lp_n n_loaded, double cop_min_force_n, double min_active,
    double* force_out, double* cop_out,
) noexcept nogil:
    """Total force and COP of two frames; the COP is NaN by assignment where the twin's test fails."""
    cdef lp_t one = lp_set1(1.0)
    cdef lp_mask ok = lp_and(lp_and(lp_not_le(total, lp_zero()), lp_not_lt(total, lp_set1(cop_min_force_n))),
                             lp_not_lt(lp_n_double(n_loaded), lp_set1(min_active)))
    cdef lp_t d = lp_select(ok, total, one)  # never 0/0: invalid lanes divide by 1, then become NaN
    cdef lp_t cop_ap = lp_select(ok, lp_div(mom_ap, d), lp_set1(NAN))
    cdef lp_t cop_ml = lp_select(ok, lp_div(mom_ml, d), lp_set1(NAN))
    lp_store(force_out, total)
    lp_store(cop_out, lp_unpack_lo(cop_ap, cop_ml))
    lp_store(cop_out + 2, lp_unpack_hi(cop_ap, cop_ml))


cdef inline void _sensor_step(
    lp_t p0, lp_t p1, const double* w, bint calibrated, lp_t thr, lp_t* acc, lp_n* cnt, double* ftj,
) noexcept nogil:
    """One sensor (weights ``w``) in four frames (``p0``, ``p1``): accumulate, store forces at ``ftj``."""
    cdef lp_t f0, f1, s, a, c
    cdef lp_mask l0, l1
    if calibrated:  # the twin's operations, so the same rounding: (count - offset) * gain
        p0 = lp_mul(lp_sub(p0, lp_load_a(w + 6)), lp_load_a(w + 8))
        p1 = lp_mul(lp_sub(p1, lp_load_a(w + 6)), lp_load_a(w + 8))
    # loaded: p > 0 and p >= floor, one compare against the larger of the two (false for NaN)
    l0 = lp_ge(p0, thr)
    l1 = lp_ge(p1, thr)
    s = lp_load_a(w)
    f0 = lp_keep(l0, lp_mul(p0, s))  # force = p * scale where loaded, else 0 (no branch)
    f1 = lp_keep(l1, lp_mul(p1, s))
    cnt[0] = lp_n_inc(cnt[0], l0)
    cnt[1] = lp_n_inc(cnt[1], l1)
    acc[0] = lp_add(acc[0], f0)
    acc[1] = lp_add(acc[1], f1)
    a = lp_load_a(w + 2)
    acc[2] = lp_add(acc[2], lp_mul(f0, a))
    acc[3] = lp_add(acc[3], lp_mul(f1, a))
    c = lp_load_a(w + 4)
    acc[4] = lp_add(acc[4], lp_mul(f0, c))
    acc[5] = lp_add(acc[5], lp_mul(f1, c))
    lp_store(ftj, f0)
    lp_store(ftj + 2, f1)


cdef inline void _sensor_pass(
    const value_t* rows, Py_ssize_t m, const double* wt, bint calibrated, double threshold,
    double cop_min_force_n, double min_active, double* ft, double* force_out, double* cop_out,
) noexcept nogil:
    """Four frames (``rows``, two lane pairs): forces into ``ft[j * BLK]``, total force and COP out.

    Each frame's sums run over the sensors in order, whatever the frame's lane.
    """
    cdef Py_ssize_t j, t
    cdef Py_ssize_t j0 = 0
    cdef lp_t thr = lp_set1(threshold)
    cdef lp_t acc[6]  # total, ap moment, ml moment; of frames 0-1 and 2-3
    cdef lp_n cnt[2]
    cdef lp_f4 tile[4]
    for t in range(6):
        acc[t] = lp_zero()
    cnt[0] = lp_n_zero()
    cnt[1] = lp_n_zero()
    if value_t is float:  # four sensors at a time from a transposed tile of the four rows
        for j0 in range(0, m - 3, 4):
            lp_tile4_f32(rows + j0, m, tile)
            for t in range(4):
                _sensor_step(lp_f4_lo(tile[t]), lp_f4_hi(tile[t]), wt + NW * (j0 + t), calibrated, thr, acc,
                             cnt, ft + BLK * (j0 + t))
        j0 = m - m % 4
    for j in range(j0, m):
        _sensor_step(_pair(rows + j, m), _pair(rows + 2 * m + j, m), wt + NW * j, calibrated, thr, acc, cnt,
                     ft + BLK * j)
    _finish_pair(acc[0], acc[2], acc[4], cnt[0], cop_min_force_n, min_active, force_out, cop_out)
    _finish_pair(acc[1], acc[3], acc[5], cnt[1], cop_min_force_n, min_active, force_out + 2, cop_out + 4)


cdef inline void _region_sum(
    const double* ft, Py_ssize_t k0, Py_ssize_t k1, const Py_ssize_t* entry_col, const double* entry_w,
    bint unit, lp_t* acc,
) noexcept nogil:
    """Force of one region (CSR entries ``k0:k1``) in the BLK frames of ``ft``: four lane pairs.

    A region whose weights are all exactly 1 skips the products (``f * 1 == f``).
    """
    cdef Py_ssize_t k
    cdef const double* col
    cdef lp_t w
    cdef lp_t a0 = lp_zero()
    cdef lp_t a1 = lp_zero()
    cdef lp_t a2 = lp_zero()
    cdef lp_t a3 = lp_zero()
    if unit:
        for k in range(k0, k1):
            col = ft + entry_col[k]
            a0 = lp_add(a0, lp_load_a(col))
            a1 = lp_add(a1, lp_load_a(col + 2))
            a2 = lp_add(a2, lp_load_a(col + 4))
            a3 = lp_add(a3, lp_load_a(col + 6))
    else:
        for k in range(k0, k1):
            col = ft + entry_col[k]
            w = lp_load_a(entry_w + 2 * k)
            a0 = lp_add(a0, lp_mul(lp_load_a(col), w))
            a1 = lp_add(a1, lp_mul(lp_load_a(col + 2), w))
            a2 = lp_add(a2, lp_mul(lp_load_a(col + 4), w))
            a3 = lp_add(a3, lp_mul(lp_load_a(col + 6), w))
    acc[0] = a0
    acc[1] = a1
    acc[2] = a2
    acc[3] = a3


cdef inline void _region_pass(
    const double* ft, const Py_ssize_t* region_ptr, const Py_ssize_t* entry_col, const double* entry_w,
    const unsigned char* unit, Py_ssize_t n_regions, double* region_out,
) noexcept nogil:
    """Region forces of the BLK frames of ``ft`` (16-byte aligned) into ``region_out``.

    ``entry_col[k]`` is the offset of entry ``k``'s sensor in ``ft``, ``entry_w[2k:2k+2]`` its
    weight twice.  Regions go in pairs, so that each frame's two results are one store.
    """
    cdef Py_ssize_t r, i
    cdef lp_t acc[4]
    cdef lp_t nxt[4]
    cdef double* out
    for r in range(0, n_regions - 1, 2):
        _region_sum(ft, region_ptr[r], region_ptr[r + 1], entry_col, entry_w, unit[r], acc)
        _region_sum(ft, region_ptr[r + 1], region_ptr[r + 2], entry_col, entry_w, unit[r + 1], nxt)
        for i in range(4):
            out = region_out + 2 * i * n_regions + r
            lp_store(out, lp_unpack_lo(acc[i], nxt[i]))
            lp_store(out + n_regions, lp_unpack_hi(acc[i], nxt[i]))
    if n_regions % 2:
        r = n_regions - 1
        _region_sum(ft, region_ptr[r], region_ptr[r + 1], entry_col, entry_w, unit[r], acc)
        for i in range(4):
            out = region_out + 2 * i * n_regions + r
            lp_store_lo(out, acc[i])
            lp_store_hi(out + n_regions, acc[i])


cdef inline void _block(
    const value_t* rows, Py_ssize_t m, const double* wt, bint calibrated, double threshold,
    double cop_min_force_n, double min_active,
    const Py_ssize_t* region_ptr, const Py_ssize_t* entry_col, const double* entry_w, const unsigned char* unit,
    Py_ssize_t n_regions, double* ft, double* force_out, double* cop_out, double* region_out,
) noexcept nogil:
    """BLK full frames starting at ``rows``; outputs point at the block's first frame."""
    # literal flags, so that each inlined copy of the sensor loop has no branch
    if _use_avx:  # four frames per AVX register (bit-identical to the lane pairs)
        if value_t is float:
            insole_quad_f32(rows, m, wt, calibrated, threshold, cop_min_force_n, min_active, ft, force_out, cop_out)
            insole_quad_f32(rows + 4 * m, m, wt, calibrated, threshold, cop_min_force_n, min_active, ft + 4,
                            force_out + 4, cop_out + 8)
            _region_pass(ft, region_ptr, entry_col, entry_w, unit, n_regions, region_out)
            return
        elif sizeof(value_t) == 2 and <value_t>-1 > 0:  # uint16 (the cast is a no-op there)
            insole_quad_u16(<const unsigned short*> rows, m, wt, calibrated, threshold, cop_min_force_n, min_active,
                            ft, force_out, cop_out)
            insole_quad_u16(<const unsigned short*> (rows + 4 * m), m, wt, calibrated, threshold, cop_min_force_n,
                            min_active, ft + 4, force_out + 4, cop_out + 8)
            _region_pass(ft, region_ptr, entry_col, entry_w, unit, n_regions, region_out)
            return
    if calibrated:
        _sensor_pass(rows, m, wt, True, threshold, cop_min_force_n, min_active, ft, force_out, cop_out)
        _sensor_pass(rows + 4 * m, m, wt, True, threshold, cop_min_force_n, min_active, ft + 4,
                     force_out + 4, cop_out + 8)
    else:
        _sensor_pass(rows, m, wt, False, threshold, cop_min_force_n, min_active, ft, force_out, cop_out)
        _sensor_pass(rows + 4 * m, m, wt, False, threshold, cop_min_force_n, min_active, ft + 4,
                     force_out + 4, cop_out + 8)
    _region_pass(ft, region_ptr, entry_col, entry_w, unit, n_regions, region_out)


cdef void _run(
    const value_t* vp, Py_ssize_t n_frames, Py_ssize_t m, const double* wt, bint calibrated,
    double threshold, double cop_min_force_n, double min_active,
    const Py_ssize_t* region_ptr, const Py_ssize_t* entry_col, const double* entry_w, const unsigned char* unit,
    Py_ssize_t n_regions, double* scratch, Py_ssize_t stride, value_t* pad, double* tail,
    double* force_out, double* cop_out, double* region_out, int nt,
) noexcept nogil:
    """All frames: full blocks on ``nt`` threads, then the last partial block through ``pad``.

    ``scratch`` holds one ``(m, BLK)`` force block of ``stride`` doubles per thread; ``pad`` a
    zero-padded copy of the last rows and ``tail`` the outputs of that padded block.
    """
    cdef Py_ssize_t n_full = n_frames // BLK
    cdef Py_ssize_t rest = n_frames - n_full * BLK
    cdef Py_ssize_t blk, i0
    cdef double* ft = scratch
    if nt == 1 or n_full < 2:
        for blk in range(n_full):
            i0 = blk * BLK
            _block(vp + i0 * m, m, wt, calibrated, threshold, cop_min_force_n, min_active, region_ptr,
                   entry_col, entry_w, unit, n_regions, ft, force_out + i0, cop_out + 2 * i0,
                   region_out + i0 * n_regions)
    else:
        with parallel(num_threads=nt):
            ft = scratch + threadid() * stride
            for blk in prange(n_full, schedule="dynamic", chunksize=16):
                i0 = blk * BLK
                _block(vp + i0 * m, m, wt, calibrated, threshold, cop_min_force_n, min_active, region_ptr,
                       entry_col, entry_w, unit, n_regions, ft, force_out + i0, cop_out + 2 * i0,
                       region_out + i0 * n_regions)
    if rest:
        # the same code on a zero-padded copy, so that a frame's result does not depend on its block
        i0 = n_full * BLK
        memset(pad, 0, BLK * m * sizeof(value_t))
        memcpy(pad, vp + i0 * m, rest * m * sizeof(value_t))
        _block(pad, m, wt, calibrated, threshold, cop_min_force_n, min_active, region_ptr, entry_col,
               entry_w, unit, n_regions, scratch, tail, tail + BLK, tail + 3 * BLK)
        memcpy(force_out + i0, tail, rest * sizeof(double))
        memcpy(cop_out + 2 * i0, tail + BLK, 2 * rest * sizeof(double))
        if n_regions:
            memcpy(region_out + i0 * n_regions, tail + 3 * BLK, rest * n_regions * sizeof(double))


def frame_features(
    const value_t[:, ::1] values,
    const double[::1] scale,
    const double[::1] ap,
    const double[::1] ml,
    const Py_ssize_t[::1] region_ptr,
    const Py_ssize_t[::1] region_idx,
    const double[::1] region_w,
    double floor_value,
    double cop_min_force_n,
    Py_ssize_t min_active,
    bint calibrated,
    const double[::1] offset,
    const double[::1] gain,
    double[::1] force_out,
    double[:, ::1] cop_out,
    double[:, ::1] region_out,
    int num_threads,
):
    """Fill ``force_out``, ``cop_out`` and ``region_out`` for every frame.

    Parameters
    ----------
    values : (n_frames, n_sensors) array
        Sensor values: physical (kPa or N) or raw counts when ``calibrated``.
    scale : (n_sensors,) float64
        Newtons per physical unit for each sensor (``area_mm2 * 1e-3`` for kPa, 1 for N).
    ap, ml : (n_sensors,) float64
        Sensor centroids in the normalised insole frame.
    region_ptr, region_idx, region_w : CSR arrays
        Region ``r`` is ``sum(force[region_idx[k]] * region_w[k])`` for
        ``k`` in ``region_ptr[r]:region_ptr[r+1]``.
    floor_value : float
        Physical values below this (or <= 0) count as unloaded.
    cop_min_force_n : float
        The COP is NaN below this total force.
    min_active : int
        The COP is NaN with fewer loaded sensors.
    calibrated : bool
        Apply ``(value - offset) * gain`` per sensor first.
    offset, gain : (n_sensors,) float64
        Per-sensor linear calibration (ignored unless ``calibrated``).
    force_out, cop_out, region_out : float64 outputs
        Total force (n,), COP (n, 2) as (ap, ml), region force (n, n_regions).
    num_threads : int
        OpenMP threads (>= 1; the wrapper resolves the default).

    Notes
    -----
    Sums are formed in sensor order (CSR order for regions) for every
    frame, so results do not depend on the frame's position, the block it
    is computed in or ``num_threads``; they agree with the NumPy twin to
    rounding (rtol 1e-12), not bit for bit.
    """
    cdef Py_ssize_t n_frames = values.shape[0]
    cdef Py_ssize_t m = values.shape[1]
    cdef Py_ssize_t n_regions = region_out.shape[1]
    cdef Py_ssize_t j
    cdef int nt = num_threads if num_threads > 0 else 1
    if n_frames == 0:
        return
    if n_frames < 64 * BLK:
        nt = 1
    # "loaded" is p > 0 and p >= floor: one comparison against the larger of the floor
    # and the smallest positive double
    cdef double threshold = floor_value if floor_value > 0.0 else nextafter(0.0, 1.0)
    # Allocated here so that nothing can fail in the loop: the per-sensor weights table and the
    # per-entry weights (each value twice, as loaded into a lane pair, 16-byte aligned), the entries'
    # offsets into a force block and the unit-weight flag of each region; one (m, BLK) force block
    # per thread; the zero-padded last rows and the outputs of that last block.
    cdef Py_ssize_t n_entries = region_idx.shape[0]
    cdef Py_ssize_t stride = m * BLK + 8
    cdef Py_ssize_t k, r
    cdef double* tables_mem = <double*> malloc((NW * m + 2 * n_entries + 2) * sizeof(double))
    cdef double* scratch_mem = <double*> malloc((nt * stride + 2) * sizeof(double))
    cdef Py_ssize_t* entry_col = <Py_ssize_t*> malloc(n_entries * sizeof(Py_ssize_t) + n_regions + 8)
    cdef value_t* pad = <value_t*> malloc(BLK * m * sizeof(value_t) + 8)
    cdef double* tail = <double*> malloc((3 + n_regions) * BLK * sizeof(double))
    cdef double* wt = <double*> ((<size_t>tables_mem + 15) & ~(<size_t>15))
    cdef double* entry_w = wt + NW * m
    cdef double* scratch = <double*> ((<size_t>scratch_mem + 15) & ~(<size_t>15))
    cdef unsigned char* unit = <unsigned char*> (entry_col + n_entries)
    try:
        if tables_mem == NULL or scratch_mem == NULL or entry_col == NULL or pad == NULL or tail == NULL:
            raise MemoryError()
        for j in range(m):
            wt[NW * j] = wt[NW * j + 1] = scale[j]
            wt[NW * j + 2] = wt[NW * j + 3] = ap[j]
            wt[NW * j + 4] = wt[NW * j + 5] = ml[j]
            wt[NW * j + 6] = wt[NW * j + 7] = offset[j] if calibrated else 0.0
            wt[NW * j + 8] = wt[NW * j + 9] = gain[j] if calibrated else 1.0
        for k in range(n_entries):
            entry_col[k] = BLK * region_idx[k]
            entry_w[2 * k] = entry_w[2 * k + 1] = region_w[k]
        for r in range(n_regions):
            unit[r] = True
            for k in range(region_ptr[r], region_ptr[r + 1]):
                unit[r] = unit[r] and region_w[k] == 1.0
        with nogil:
            _run(&values[0, 0], n_frames, m, wt, calibrated, threshold, cop_min_force_n, <double>min_active,
                 &region_ptr[0], entry_col, entry_w, unit, n_regions, scratch, stride, pad, tail,
                 &force_out[0], &cop_out[0, 0], &region_out[0, 0] if n_regions else NULL, nt)
    finally:
        free(tables_mem)
        free(scratch_mem)
        free(entry_col)
        free(pad)
        free(tail)
