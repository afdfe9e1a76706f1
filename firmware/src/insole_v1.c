/* insole_v1.c - encoder of insole frame protocol v1; see insole_v1.h and docs/protocol.md. */
#include "insole_v1.h"

size_t insole_v1_block_len(uint8_t fmt, uint16_t n_sensors)
{
    if (n_sensors < 1u || n_sensors > INSOLE_V1_MAX_SENSORS) {
        return 0;
    }
    switch (fmt) {
    case INSOLE_V1_U8:
        return n_sensors;
    case INSOLE_V1_U12:
        return 3u * (((size_t)n_sensors + 1u) / 2u);
    case INSOLE_V1_U16:
        return 2u * (size_t)n_sensors;
    default:
        return 0;
    }
}

size_t insole_v1_frame_len(uint8_t foot, uint8_t fmt, uint16_t n_sensors)
{
    size_t block = insole_v1_block_len(fmt, n_sensors);
    if (block == 0 || foot > INSOLE_V1_BOTH) {
        return 0;
    }
    return INSOLE_V1_HEADER_LEN + (foot == INSOLE_V1_BOTH ? 2u : 1u) * block + INSOLE_V1_CRC_LEN;
}

uint16_t insole_v1_crc16(uint16_t crc, const uint8_t *data, size_t n)
{
    size_t i;
    int bit;
    for (i = 0; i < n; i++) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

/* One foot's block; returns bytes written. Samples were range-checked by the caller. */
static size_t pack_block(uint8_t *p, uint8_t fmt, uint16_t n, const uint16_t *v)
{
    size_t i;
    if (fmt == INSOLE_V1_U8) {
        for (i = 0; i < n; i++) {
            p[i] = (uint8_t)v[i];
        }
        return n;
    }
    if (fmt == INSOLE_V1_U16) {
        for (i = 0; i < n; i++) {
            put_u16(p + 2u * i, v[i]);
        }
        return 2u * (size_t)n;
    }
    /* u12: each pair (a, b) is the 24-bit little-endian integer a | b << 12; odd n pads b = 0 */
    for (i = 0; i < n; i += 2u) {
        uint16_t a = v[i];
        uint16_t b = (i + 1u < n) ? v[i + 1u] : 0u;
        uint8_t *g = p + 3u * (i / 2u);
        g[0] = (uint8_t)(a & 0xFFu);
        g[1] = (uint8_t)(((a >> 8) & 0x0Fu) | ((b & 0x0Fu) << 4));
        g[2] = (uint8_t)(b >> 4);
    }
    return 3u * (((size_t)n + 1u) / 2u);
}

size_t insole_v1_encode(uint8_t *out, size_t out_size, uint8_t foot, uint8_t fmt,
                        uint16_t n_sensors, uint32_t seq, uint32_t t_device_us,
                        const uint16_t *values)
{
    size_t len = insole_v1_frame_len(foot, fmt, n_sensors);
    size_t n_values, i, pos;
    uint16_t max_value, crc;
    if (len == 0 || out == NULL || values == NULL || out_size < len) {
        return 0;
    }
    max_value = (uint16_t)((fmt == INSOLE_V1_U16) ? 0xFFFFu : ((1u << fmt) - 1u));
    n_values = (foot == INSOLE_V1_BOTH ? 2u : 1u) * (size_t)n_sensors;
    for (i = 0; i < n_values; i++) {
        if (values[i] > max_value) {
            return 0;
        }
    }
    out[0] = INSOLE_V1_SYNC0;
    out[1] = INSOLE_V1_SYNC1;
    out[2] = INSOLE_V1_VERSION;
    out[3] = foot;
    out[4] = fmt;
    put_u16(out + 5, n_sensors);
    put_u32(out + 7, seq);
    put_u32(out + 11, t_device_us);
    pos = INSOLE_V1_HEADER_LEN;
    pos += pack_block(out + pos, fmt, n_sensors, values);
    if (foot == INSOLE_V1_BOTH) {
        pos += pack_block(out + pos, fmt, n_sensors, values + n_sensors);
    }
    crc = insole_v1_crc16(INSOLE_V1_CRC_INIT, out + 2, pos - 2u);
    put_u16(out + pos, crc);
    return pos + INSOLE_V1_CRC_LEN;
}
