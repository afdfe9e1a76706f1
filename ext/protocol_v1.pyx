"""Incremental decoder of insole frame protocol v1 (docs/protocol.md): the hot loop.

Compiled twin of :func:`insole.protocol._v1_reference.decode_v1`; the public,
stateful wrapper is :class:`insole.protocol.V1Decoder`, which keeps the
unconsumed tail between calls.  Two GIL-free passes over the buffer: the first
hunts sync bytes, validates headers and CRCs and records where the kept frames
start; the second decodes those frames into preallocated NumPy arrays.  No
Python object is created per frame.
"""

import sys

import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memchr, memcpy


cdef enum:
    SYNC0 = 0xA5
    SYNC1 = 0x5A
    VERSION = 1
    HEADER_LEN = 15
    CRC_LEN = 2
    MAX_SENSORS = 1024
    MIN_FRAME_LEN = HEADER_LEN + 1 + CRC_LEN


cdef struct ScanState:
    Py_ssize_t consumed   # bytes decided (the caller keeps the rest)
    Py_ssize_t n_frames   # kept frames (their start offsets are in `starts`)
    Py_ssize_t n_rows     # output rows: 2 per both-feet frame
    Py_ssize_t n_sensors  # lock: sensors per foot (0 = not locked yet)
    int bits              # lock: bits per sample (0 = not locked yet)
    int64_t frames_ok
    int64_t crc_errors
    int64_t garbage_bytes
    int64_t truncated_frames
    int64_t mismatched_frames


# Slicing-by-16 tables of CRC-16/CCITT-FALSE: _CRC_TABLE[k][i] is the CRC register
# (from 0) after the byte i followed by k zero bytes (8 KiB: fits the L1 cache).
cdef uint16_t _CRC_TABLE[16][256]
cdef bint _LITTLE_ENDIAN = sys.byteorder == "little"

# Carry-less multiplication (PCLMULQDQ) folds 16 bytes per step on x86-64 CPUs
# that have it (checked at run time; elsewhere, and for short runs, the tables
# are used).  With bit j of a 128-bit block the coefficient of x^j (bytes
# reversed: the first byte is the most significant), a running block A
# satisfies A*x^128 + B == H*(x^192 mod P) + L*(x^128 mod P) + B (mod P) for
# A = H*x^64 + L; the final 128-bit block is reduced to 64 bits the same way
# with x^64 mod P and its CRC taken from the tables (CRC(M) depends only on
# M mod P).
cdef extern from *:
    """
    #include <stddef.h>
    #include <stdint.h>
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    static uint64_t insole_xpow_mod_p(unsigned int n) {
        uint32_t r = 1;  /* x^n mod (x^16 + x^12 + x^5 + 1) */
        while (n--) { r <<= 1; if (r & 0x10000u) r ^= 0x11021u; }
        return r;
    }
    /* x^n mod P for the folding distances used below, set once by insole_clmul_available */
    static uint64_t insole_k64, insole_k128, insole_k192, insole_k256, insole_k320, insole_k384,
                    insole_k448, insole_k512, insole_k576;
    static int insole_clmul_available(void) {
        insole_k64 = insole_xpow_mod_p(64);
        insole_k128 = insole_xpow_mod_p(128);
        insole_k192 = insole_xpow_mod_p(192);
        insole_k256 = insole_xpow_mod_p(256);
        insole_k320 = insole_xpow_mod_p(320);
        insole_k384 = insole_xpow_mod_p(384);
        insole_k448 = insole_xpow_mod_p(448);
        insole_k512 = insole_xpow_mod_p(512);
        insole_k576 = insole_xpow_mod_p(576);
        __builtin_cpu_init();
        return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
    }
    /* a * x^(d + 128) reduced to 80 bits: k = (x^(d+192) mod P, x^(d+128) mod P) in (high, low) */
    __attribute__((target("pclmul,ssse3")))
    static inline __m128i insole_fold(__m128i a, __m128i k) {
        return _mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x11), _mm_clmulepi64_si128(a, k, 0x00));
    }
    __attribute__((target("pclmul,ssse3")))
    static inline __m128i insole_load_block(const uint8_t *p) {
        const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), reverse);
    }
    /* Register after n_blocks * 16 bytes (n_blocks >= 1) starting from register crc. */
    __attribute__((target("pclmul,ssse3")))
    static uint16_t insole_crc16_clmul(uint16_t crc, const uint8_t *p, size_t n_blocks,
                                       const uint16_t *tables) {
        const __m128i k_by1 = _mm_set_epi64x((long long)insole_k192, (long long)insole_k128);
        const __m128i k_64 = _mm_set_epi64x(0, (long long)insole_k64);
        const __m128i init = _mm_set_epi64x((long long)((uint64_t)crc << 48), 0);
        __m128i acc;
        size_t i = 0;
        if (n_blocks >= 8) {  /* four independent accumulators, 64 bytes per step */
            const __m128i k_by4 = _mm_set_epi64x((long long)insole_k576, (long long)insole_k512);
            __m128i a0 = _mm_xor_si128(insole_load_block(p), init);
            __m128i a1 = insole_load_block(p + 16);
            __m128i a2 = insole_load_block(p + 32);
            __m128i a3 = insole_load_block(p + 48);
            for (i = 4; i + 4 <= n_blocks; i += 4) {
                a0 = _mm_xor_si128(insole_fold(a0, k_by4), insole_load_block(p + 16 * i));
                a1 = _mm_xor_si128(insole_fold(a1, k_by4), insole_load_block(p + 16 * i + 16));
                a2 = _mm_xor_si128(insole_fold(a2, k_by4), insole_load_block(p + 16 * i + 32));
                a3 = _mm_xor_si128(insole_fold(a3, k_by4), insole_load_block(p + 16 * i + 48));
            }
            /* a0 x^384 + a1 x^256 + a2 x^128 + a3 */
            acc = _mm_xor_si128(
                _mm_xor_si128(insole_fold(a0, _mm_set_epi64x((long long)insole_k448, (long long)insole_k384)),
                              insole_fold(a1, _mm_set_epi64x((long long)insole_k320, (long long)insole_k256))),
                _mm_xor_si128(insole_fold(a2, k_by1), a3));
        } else {
            acc = _mm_xor_si128(insole_load_block(p), init);
            i = 1;
        }
        for (; i < n_blocks; i++)
            acc = _mm_xor_si128(insole_fold(acc, k_by1), insole_load_block(p + 16 * i));
        /* 128 -> 80 -> 64 bits with x^64 mod P, then the CRC of those 8 bytes from the tables */
        acc = _mm_xor_si128(_mm_clmulepi64_si128(acc, k_64, 0x01), _mm_move_epi64(acc));
        acc = _mm_xor_si128(_mm_clmulepi64_si128(acc, k_64, 0x01), _mm_move_epi64(acc));
        uint64_t v = (uint64_t)_mm_cvtsi128_si64(acc);
        uint16_t out = 0;
        for (int k = 0; k < 8; k++) out ^= tables[(7 - k) * 256 + ((v >> (56 - 8 * k)) & 0xFF)];
        return out;
    }
    #else
    static int insole_clmul_available(void) { return 0; }
    static uint16_t insole_crc16_clmul(uint16_t crc, const uint8_t *p, size_t n_blocks,
                                       const uint16_t *tables) {
        (void)p; (void)n_blocks; (void)tables; return crc;
    }
    #endif
    """
    int insole_clmul_available() noexcept nogil
    uint16_t insole_crc16_clmul(uint16_t crc, const uint8_t* p, size_t n_blocks,
                                const uint16_t* tables) noexcept nogil

#: Whether this CPU and build use the carry-less multiplication path for long runs.
HAVE_CLMUL = bool(insole_clmul_available())
cdef bint _USE_CLMUL = HAVE_CLMUL
# Runs shorter than this use the tables only (the folding has a fixed cost).
cdef Py_ssize_t _CLMUL_MIN_BYTES = 64


cdef void _init_crc_tables() noexcept nogil:
    cdef unsigned int i, k, bit
    cdef uint32_t crc
    for i in range(256):
        crc = i << 8
        for bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if (crc & 0x8000) else (crc << 1)
        _CRC_TABLE[0][i] = <uint16_t>(crc & 0xFFFF)
    for k in range(1, 16):
        for i in range(256):
            crc = _CRC_TABLE[k - 1][i]
            _CRC_TABLE[k][i] = <uint16_t>(((crc << 8) ^ _CRC_TABLE[0][crc >> 8]) & 0xFFFF)


_init_crc_tables()


cdef inline uint16_t _crc16_tables(uint32_t crc, const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """Continue CRC-16/CCITT-FALSE from register ``crc`` over ``n`` bytes, sixteen at a time.

    The register is XORed into the first two bytes of each block of sixteen;
    each byte then contributes its table entry for the number of bytes that
    follow it in the block (linearity of the CRC).  Sixteen independent
    lookups per step instead of one dependent lookup per byte.
    """
    while n >= 16:
        crc = (_CRC_TABLE[15][(crc >> 8) ^ p[0]] ^ _CRC_TABLE[14][(crc & 0xFF) ^ p[1]]
               ^ _CRC_TABLE[13][p[2]] ^ _CRC_TABLE[12][p[3]] ^ _CRC_TABLE[11][p[4]]
               ^ _CRC_TABLE[10][p[5]] ^ _CRC_TABLE[9][p[6]] ^ _CRC_TABLE[8][p[7]]
               ^ _CRC_TABLE[7][p[8]] ^ _CRC_TABLE[6][p[9]] ^ _CRC_TABLE[5][p[10]]
               ^ _CRC_TABLE[4][p[11]] ^ _CRC_TABLE[3][p[12]] ^ _CRC_TABLE[2][p[13]]
               ^ _CRC_TABLE[1][p[14]] ^ _CRC_TABLE[0][p[15]])
        p += 16
        n -= 16
    if n >= 8:
        crc = (_CRC_TABLE[7][(crc >> 8) ^ p[0]] ^ _CRC_TABLE[6][(crc & 0xFF) ^ p[1]]
               ^ _CRC_TABLE[5][p[2]] ^ _CRC_TABLE[4][p[3]] ^ _CRC_TABLE[3][p[4]]
               ^ _CRC_TABLE[2][p[5]] ^ _CRC_TABLE[1][p[6]] ^ _CRC_TABLE[0][p[7]])
        p += 8
        n -= 8
    while n > 0:
        crc = ((crc << 8) ^ _CRC_TABLE[0][((crc >> 8) ^ p[0]) & 0xFF]) & 0xFFFF
        p += 1
        n -= 1
    return <uint16_t>crc


cdef inline uint16_t _crc16_with(const uint8_t* p, Py_ssize_t n, bint use_clmul) noexcept nogil:
    cdef uint32_t crc = 0xFFFF
    cdef Py_ssize_t n_blocks
    if use_clmul and n >= _CLMUL_MIN_BYTES:
        n_blocks = n >> 4
        crc = insole_crc16_clmul(0xFFFF, p, <size_t>n_blocks, &_CRC_TABLE[0][0])
        p += n_blocks << 4
        n -= n_blocks << 4
    return _crc16_tables(crc, p, n)


cdef inline uint16_t _crc16(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """CRC-16/CCITT-FALSE (init 0xFFFF) of ``n`` bytes: folding where available, else tables."""
    return _crc16_with(p, n, _USE_CLMUL)


def _set_clmul(bint enabled):
    """Use (where available) or bypass the carry-less multiplication CRC path; returns the old setting.

    A process-wide switch for tests and benchmarks: the results are identical
    either way, only the speed differs.
    """
    global _USE_CLMUL
    previous = bool(_USE_CLMUL)
    _USE_CLMUL = enabled and HAVE_CLMUL
    return previous


def crc16_ccitt_false(const unsigned char[::1] data, bint use_clmul=True):
    """CRC-16/CCITT-FALSE of ``data`` as the kernel computes it.

    Parameters
    ----------
    data : bytes-like
        The bytes to checksum.
    use_clmul : bool
        Allow the carry-less multiplication path (used only when
        :data:`HAVE_CLMUL`); False forces the slicing-by-16 tables.

    Returns
    -------
    int
        The 16-bit CRC (init 0xFFFF, polynomial 0x1021, no reflection, no final XOR).
    """
    if data.shape[0] == 0:
        return 0xFFFF
    return _crc16_with(&data[0], data.shape[0], use_clmul and _USE_CLMUL)


cdef inline Py_ssize_t _block_len(Py_ssize_t n_sensors, int bits) noexcept nogil:
    if bits == 8:
        return n_sensors
    if bits == 12:
        return 3 * ((n_sensors + 1) >> 1)
    return 2 * n_sensors


cdef inline Py_ssize_t _frame_len(const uint8_t* h) noexcept nogil:
    """Frame length from the header at ``h`` (sync included), or 0 if a field is invalid."""
    cdef unsigned int foot = h[3]
    cdef int bits = h[4]
    cdef Py_ssize_t n = h[5] | (<Py_ssize_t>h[6] << 8)
    if foot > 2 or n < 1 or n > MAX_SENSORS or (bits != 8 and bits != 12 and bits != 16):
        return 0
    return HEADER_LEN + (2 if foot == 2 else 1) * _block_len(n, bits) + CRC_LEN


cdef inline uint32_t _u32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0]) | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline Py_ssize_t _find_sync(const uint8_t* buf, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    """First ``s >= p`` with ``buf[s:s+2] == A5 5A`` inside ``buf[:n]``; -1 if none."""
    cdef const uint8_t* hit
    while p + 1 < n:
        hit = <const uint8_t*>memchr(buf + p, SYNC0, <size_t>(n - 1 - p))
        if hit == NULL:
            return -1
        p = hit - buf
        if buf[p + 1] == SYNC1:
            return p
        p += 1
    return -1


cdef inline Py_ssize_t _next_start(const uint8_t* buf, Py_ssize_t lo, Py_ssize_t hi,
                                   Py_ssize_t n) noexcept nogil:
    """First ``s`` in ``[lo, hi)`` with ``buf[s:s+3] == A5 5A 01`` inside ``buf[:n]``; -1 if none."""
    cdef Py_ssize_t end = hi if hi < n - 2 else n - 2
    cdef Py_ssize_t s = lo
    cdef const uint8_t* hit
    while s < end:
        hit = <const uint8_t*>memchr(buf + s, SYNC0, <size_t>(end - s))
        if hit == NULL:
            return -1
        s = hit - buf
        if buf[s + 1] == SYNC1 and buf[s + 2] == VERSION:
            return s
        s += 1
    return -1


cdef void _scan(const uint8_t* buf, Py_ssize_t n, bint final, int64_t* starts,
                ScanState* st) noexcept nogil:
    """Pass 1: the receiver algorithm of docs/protocol.md; records kept frame starts."""
    cdef Py_ssize_t p = 0
    cdef Py_ssize_t s, s2, length, body, keep, nsens
    cdef int fbits
    while True:
        # 1. Hunt for the sync pair; bytes skipped on the way are garbage.
        s = _find_sync(buf, p, n)
        if s < 0:
            keep = 1 if (not final and n > p and buf[n - 1] == SYNC0) else 0
            st.garbage_bytes += n - keep - p
            p = n - keep
            break
        st.garbage_bytes += s - p
        p = s
        # 2. The header.
        if n - s < HEADER_LEN:
            if not final:
                break
            if n - s > 2 and buf[s + 2] != VERSION:
                st.garbage_bytes += 1
                p = s + 1
                continue
            st.truncated_frames += 1
            p = n
            break
        if buf[s + 2] != VERSION:
            st.garbage_bytes += 1
            p = s + 1
            continue
        length = _frame_len(buf + s)
        if length == 0:
            st.truncated_frames += 1
            p = s + 2
            continue
        # 3. The whole frame.
        if n - s < length:
            if not final:
                break
            st.truncated_frames += 1
            s2 = _next_start(buf, s + 1, n, n)
            p = s2 if s2 >= 0 else n
            continue
        body = s + length - CRC_LEN
        # the CRC covers version byte .. last payload byte and is sent little-endian
        if _crc16(buf + s + 2, body - s - 2) == <uint16_t>(buf[body] | (buf[body + 1] << 8)):
            nsens = buf[s + 5] | (<Py_ssize_t>buf[s + 6] << 8)
            fbits = buf[s + 4]
            if st.n_sensors == 0:
                st.n_sensors = nsens
                st.bits = fbits
            if nsens == st.n_sensors and fbits == st.bits:
                starts[st.n_frames] = s
                st.n_frames += 1
                st.n_rows += 2 if buf[s + 3] == 2 else 1
                st.frames_ok += 1
            else:
                st.mismatched_frames += 1
            p = s + length
            continue
        # 4. CRC failed: a frame start inside the frame means it was cut short.
        if not final and n < s + length + 2:
            break
        s2 = _next_start(buf, s + 1, s + length, n)
        if s2 >= 0:
            st.truncated_frames += 1
            p = s2
        else:
            st.crc_errors += 1
            p = s + length
    st.consumed = p


cdef inline void _unpack_block(const uint8_t* p, Py_ssize_t n, int bits, uint16_t* out) noexcept nogil:
    """One foot's samples from the wire into ``out`` (docs/protocol.md, "Sample formats")."""
    cdef Py_ssize_t j, half
    cdef const uint8_t* g
    if bits == 16:
        if _LITTLE_ENDIAN:
            memcpy(out, p, <size_t>(2 * n))
        else:
            for j in range(n):
                out[j] = <uint16_t>(p[2 * j] | (p[2 * j + 1] << 8))
    elif bits == 12:
        half = n >> 1
        for j in range(half):
            g = p + 3 * j
            out[2 * j] = <uint16_t>(g[0] | ((g[1] & 0x0F) << 8))
            out[2 * j + 1] = <uint16_t>((g[1] >> 4) | (g[2] << 4))
        if n & 1:
            g = p + 3 * half
            out[n - 1] = <uint16_t>(g[0] | ((g[1] & 0x0F) << 8))
    else:
        for j in range(n):
            out[j] = p[j]


cdef void _decode(const uint8_t* buf, const int64_t* starts, Py_ssize_t n_frames,
                  Py_ssize_t n_sensors, int bits, uint8_t* foot_out, uint32_t* seq_out,
                  uint32_t* t_out, uint16_t* values_out) noexcept nogil:
    """Pass 2: header fields and samples of the kept frames, one row per foot block."""
    cdef Py_ssize_t i, b, n_blocks
    cdef Py_ssize_t r = 0
    cdef Py_ssize_t per_block = _block_len(n_sensors, bits)
    cdef const uint8_t* h
    cdef uint8_t foot
    cdef uint32_t seq, t_us
    for i in range(n_frames):
        h = buf + starts[i]
        foot = h[3]
        seq = _u32(h + 7)
        t_us = _u32(h + 11)
        n_blocks = 2 if foot == 2 else 1
        for b in range(n_blocks):
            foot_out[r] = <uint8_t>b if foot == 2 else foot
            seq_out[r] = seq
            t_out[r] = t_us
            _unpack_block(h + HEADER_LEN + b * per_block, n_sensors, bits, values_out + r * n_sensors)
            r += 1


def decode_v1(const unsigned char[::1] data, bint final, Py_ssize_t n_sensors, int bits):
    """Decode every complete protocol-v1 frame in ``data``.

    Parameters
    ----------
    data : bytes-like, C-contiguous
        Received bytes, starting where the previous call stopped (its unconsumed tail first).
    final : bool
        The stream ends here: resolve what would otherwise wait for more bytes
        (an incomplete frame is a truncated frame; leftover bytes are garbage).
    n_sensors, bits : int
        The decoder's lock: sensor count and bits per sample of the frames to
        keep, or 0 and 0 to lock onto the first CRC-valid frame.

    Returns
    -------
    foot : (n_rows,) uint8
        0 (left) or 1 (right); a both-feet frame gives two rows, left then right.
    seq : (n_rows,) uint32
        Sequence numbers.
    t_device_us : (n_rows,) uint32
        Device timestamps as sent (wrapping).
    values : (n_rows, n_sensors) uint16
        Samples.
    counters : (5,) int64
        frames_ok, crc_errors, garbage_bytes, truncated_frames, mismatched_frames.
    consumed : int
        Bytes of ``data`` that are decided; the caller keeps ``data[consumed:]``.
    n_sensors, bits : int
        The lock after this call (0, 0 while no valid frame was seen).
    """
    cdef Py_ssize_t n = data.shape[0]
    cdef ScanState st
    cdef const uint8_t* buf = &data[0] if n > 0 else NULL
    st.consumed = 0
    st.n_frames = 0
    st.n_rows = 0
    st.n_sensors = n_sensors if bits != 0 else 0
    st.bits = bits if n_sensors != 0 else 0
    st.frames_ok = 0
    st.crc_errors = 0
    st.garbage_bytes = 0
    st.truncated_frames = 0
    st.mismatched_frames = 0

    starts_arr = np.empty(n // MIN_FRAME_LEN + 1, dtype=np.int64)
    cdef int64_t[::1] starts = starts_arr
    if n > 0:
        with nogil:
            _scan(buf, n, final, &starts[0], &st)

    foot_arr = np.empty(st.n_rows, dtype=np.uint8)
    seq_arr = np.empty(st.n_rows, dtype=np.uint32)
    t_arr = np.empty(st.n_rows, dtype=np.uint32)
    values_arr = np.empty((st.n_rows, st.n_sensors), dtype=np.uint16)
    cdef uint8_t[::1] foot_v = foot_arr
    cdef uint32_t[::1] seq_v = seq_arr
    cdef uint32_t[::1] t_v = t_arr
    cdef uint16_t[:, ::1] values_v = values_arr
    if st.n_rows > 0:
        with nogil:
            _decode(buf, &starts[0], st.n_frames, st.n_sensors, st.bits, &foot_v[0], &seq_v[0],
                    &t_v[0], &values_v[0, 0])
    counters = np.array([st.frames_ok, st.crc_errors, st.garbage_bytes, st.truncated_frames,
                         st.mismatched_frames], dtype=np.int64)
    return foot_arr, seq_arr, t_arr, values_arr, counters, st.consumed, st.n_sensors, st.bits
