/*
 * insole_v1.h - encoder of insole frame protocol v1 (docs/protocol.md).
 *
 * Plain C99, no allocation, no hardware access: build a frame in a buffer, then
 * send it with one write.  Frame: A5 5A | version 01 | foot | format (bits per
 * sample) | n_sensors (u16) | seq (u32) | t_device_us (u32) | sample block(s) |
 * CRC-16/CCITT-FALSE of version..payload (u16); all integers little-endian.
 */
#ifndef INSOLE_V1_H
#define INSOLE_V1_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INSOLE_V1_SYNC0 0xA5u
#define INSOLE_V1_SYNC1 0x5Au
#define INSOLE_V1_VERSION 1u
#define INSOLE_V1_HEADER_LEN 15u
#define INSOLE_V1_CRC_LEN 2u
#define INSOLE_V1_MAX_SENSORS 1024u
#define INSOLE_V1_CRC_INIT 0xFFFFu

/* foot byte */
#define INSOLE_V1_LEFT 0u
#define INSOLE_V1_RIGHT 1u
#define INSOLE_V1_BOTH 2u

/* format byte: bits per sample */
#define INSOLE_V1_U8 8u
#define INSOLE_V1_U12 12u
#define INSOLE_V1_U16 16u

/* Bytes a buffer needs for any format with n_blocks (1 or 2) blocks of n sensors. */
#define INSOLE_V1_FRAME_CAPACITY(n_blocks, n) \
    (INSOLE_V1_HEADER_LEN + 2u * (unsigned)(n_blocks) * (unsigned)(n) + INSOLE_V1_CRC_LEN)
/* The longest frame: both feet, 1024 u16 samples each (4113 bytes). */
#define INSOLE_V1_MAX_FRAME_LEN INSOLE_V1_FRAME_CAPACITY(2, INSOLE_V1_MAX_SENSORS)

/* Bytes of one foot's sample block: n (u8), 3 * ceil(n / 2) (u12), 2 n (u16); 0 if invalid. */
size_t insole_v1_block_len(uint8_t fmt, uint16_t n_sensors);

/* Bytes of a whole frame; 0 if foot, format or n_sensors (1..1024) is invalid. */
size_t insole_v1_frame_len(uint8_t foot, uint8_t fmt, uint16_t n_sensors);

/* Continue CRC-16/CCITT-FALSE (poly 0x1021, MSB first, no reflection, no final XOR)
 * from register crc (start with INSOLE_V1_CRC_INIT) over n bytes. */
uint16_t insole_v1_crc16(uint16_t crc, const uint8_t *data, size_t n);

/*
 * Encode one frame into out[0 .. out_size).
 *
 * values holds n_sensors samples, or 2 * n_sensors (left block, then right
 * block) when foot is INSOLE_V1_BOTH.  Every sample must fit the format
 * (<= 255, 4095 or 65535).  Returns the frame length in bytes, or 0 (nothing
 * usable written) if an argument is invalid, a sample is out of range or
 * out_size is too small.
 */
size_t insole_v1_encode(uint8_t *out, size_t out_size, uint8_t foot, uint8_t fmt,
                        uint16_t n_sensors, uint32_t seq, uint32_t t_device_us,
                        const uint16_t *values);

#ifdef __cplusplus
}
#endif

#endif /* INSOLE_V1_H */
