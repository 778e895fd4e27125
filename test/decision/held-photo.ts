// Renders a real photo as if held in front of a pinhole camera and turned about its vertical (yaw) or horizontal
// (pitch) axis: an exact homography of the photo, bilinear sampling, grey surround. For the motion signal's tests on
// real FaceMesh output (what the network does with a tilted picture is the question, so it must be real pixels).

export interface HeldPhotoPose {
  yawDeg: number;
  pitchDeg: number;
  /** Sideways shift of the photo, mm. */
  shiftMm: number;
}

export function renderHeldPhoto(
  photo: { width: number; height: number; data: Uint8Array },
  pose: HeldPhotoPose,
  out: { width: number; height: number; data: Uint8Array },
  options: { photoWidthMm?: number; distanceMm?: number; focalPx?: number } = {},
): void {
  const W = out.width,
    H = out.height;
  const f = options.focalPx ?? W,
    D = options.distanceMm ?? 500;
  const pxPerMm = photo.width / (options.photoWidthMm ?? 400);
  const cx = W / 2,
    cy = H / 2;
  const y = (pose.yawDeg * Math.PI) / 180,
    p = (pose.pitchDeg * Math.PI) / 180;
  // photo-plane point (X, Y, 0) turned by R = Rx(pitch) Ry(yaw): the first two columns of R
  const r1 = [Math.cos(y), Math.sin(p) * Math.sin(y), -Math.cos(p) * Math.sin(y)];
  const r2 = [0, Math.cos(p), Math.sin(p)];
  // image = K [r1 r2 t] (X, Y, 1), t = (shift, 0, D)
  const h = [f * r1[0] + cx * r1[2], f * r2[0] + cx * r2[2], f * pose.shiftMm + cx * D, f * r1[1] + cy * r1[2], f * r2[1] + cy * r2[2], cy * D, r1[2], r2[2], D];
  const inv = invert3(h);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const z = inv[6] * u + inv[7] * v + inv[8];
      const sx = ((inv[0] * u + inv[1] * v + inv[2]) / z) * pxPerMm + photo.width / 2;
      const sy = ((inv[3] * u + inv[4] * v + inv[5]) / z) * pxPerMm + photo.height / 2;
      const o = 4 * (v * W + u);
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      out.data[o + 3] = 255;
      if (x0 < 0 || y0 < 0 || x0 + 1 >= photo.width || y0 + 1 >= photo.height) {
        out.data[o] = out.data[o + 1] = out.data[o + 2] = 110;
        continue;
      }
      const fx = sx - x0,
        fy = sy - y0;
      const i00 = 4 * (y0 * photo.width + x0),
        i01 = i00 + 4,
        i10 = i00 + 4 * photo.width,
        i11 = i10 + 4;
      for (let c = 0; c < 3; c++) {
        const top = photo.data[i00 + c] * (1 - fx) + photo.data[i01 + c] * fx;
        const bottom = photo.data[i10 + c] * (1 - fx) + photo.data[i11 + c] * fx;
        out.data[o + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, g, h, i, j] = m;
  const A = e * j - g * i,
    B = -(d * j - g * h),
    C = d * i - e * h;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * j - c * i) / det, (b * g - c * e) / det, B / det, (a * j - c * h) / det, -(a * g - c * d) / det, C / det, -(a * i - b * h) / det, (a * e - b * d) / det];
}
