import { Buffer } from "node:buffer";
import { hashTagOf } from "./redis-keys.js";

/** CRC16/XMODEM table, the checksum Redis Cluster uses for key slots. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** The cluster slot (0..16383) of a key, hash tags honoured. */
export function slotOf(key: string): number {
  const bytes = Buffer.from(hashTagOf(key), "utf8");
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc & 0x3fff;
}
