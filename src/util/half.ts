// IEEE 754 binary16 -> binary32: the ONNX reader's fp16 weights (src/nn/onnx.ts) and the converter's
// (tools/convert/half.ts, which adds the other direction).

/** The float a binary16 bit pattern stands for, exactly (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
