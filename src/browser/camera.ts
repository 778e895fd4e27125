// openCamera: the selfie camera with the failure modes a KYC flow must tell apart, as typed errors. Never an
// infrared camera (Windows Hello sensors show up as ordinary video inputs), and virtual cameras are flagged so the
// caller can refuse injected video.
import { LivecheckError } from '../errors.js';

export interface CameraOptions {
  /** A specific camera (from enumerateDevices). Default: the front camera. */
  deviceId?: string;
  /** Default 'user' (front). Ignored when deviceId is given. */
  facingMode?: 'user' | 'environment';
  /** Ideal capture size. Default 1280 x 720 (the browser may deliver less). */
  width?: number;
  height?: number;
  /** Ideal frame rate. Default 30. */
  frameRate?: number;
}

export interface Camera {
  stream: MediaStream;
  track: MediaStreamTrack;
  /** What the browser actually delivers (width, height, frameRate, deviceId...). */
  settings: MediaTrackSettings;
  label: string;
  /** The label names a virtual camera (OBS, ManyCam, Snap Camera, v4l2loopback...): video may be injected. */
  virtualCamera: boolean;
  /** Frames per second delivered over the last second, counted with requestVideoFrameCallback on `video`. */
  measuredFps(video: HTMLVideoElement, windowMs?: number): Promise<number>;
  stop(): void;
}

const INFRARED = /\b(IR|infra-?red)\b/i;
const VIRTUAL = /OBS|ManyCam|Snap Camera|v4l2loopback|Dummy video|XSplit|CamTwist|e2eSoft|VCam|Virtual|mmhmm|Camo|NDI|DroidCam|iVCam|SplitCam|YouCam/i;

/** Whether a camera label hints at an infrared sensor (never used for a selfie). */
export function isInfraredLabel(label: string): boolean {
  return INFRARED.test(label);
}

/** Whether a camera label names a known virtual camera. */
export function isVirtualCameraLabel(label: string): boolean {
  return VIRTUAL.test(label);
}

function cameraError(e: unknown): LivecheckError {
  const name = (e as { name?: string })?.name;
  const message = (e as { message?: string })?.message ?? String(e);
  if (name === 'NotAllowedError' || name === 'SecurityError') return new LivecheckError('camera-denied', `camera permission denied: ${message}`, { name }, { cause: e });
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') {
    return new LivecheckError('camera-not-found', `no usable camera: ${name}: ${message}`, { name }, { cause: e });
  }
  return new LivecheckError('camera-unsupported', `camera failed: ${name ?? 'Error'}: ${message}`, { name }, { cause: e });
}

export async function openCamera(options: CameraOptions = {}): Promise<Camera> {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!md || typeof md.getUserMedia !== 'function') {
    throw new LivecheckError('camera-unsupported', 'this browser exposes no camera API (navigator.mediaDevices): use https or localhost');
  }
  const size = { width: { ideal: options.width ?? 1280 }, height: { ideal: options.height ?? 720 }, frameRate: { ideal: options.frameRate ?? 30 } };
  const request = async (deviceId?: string) => {
    try {
      return await md.getUserMedia({
        audio: false,
        video: deviceId ? { ...size, deviceId: { exact: deviceId } } : { ...size, facingMode: options.facingMode ?? 'user' },
      });
    } catch (e) {
      throw cameraError(e);
    }
  };
  let stream = await request(options.deviceId);
  let track = stream.getVideoTracks()[0];
  if (!track) throw new LivecheckError('camera-not-found', 'the camera stream has no video track');
  if (isInfraredLabel(track.label)) {
    if (options.deviceId) {
      stream.getTracks().forEach((t) => t.stop());
      throw new LivecheckError('camera-not-found', `the chosen camera is an infrared sensor: ${track.label}`, { label: track.label });
    }
    // labels are only known after permission: pick the first non-infrared camera now
    const devices = await md.enumerateDevices();
    const other = devices.find((d) => d.kind === 'videoinput' && d.deviceId && !isInfraredLabel(d.label));
    stream.getTracks().forEach((t) => t.stop());
    if (!other) throw new LivecheckError('camera-not-found', 'only infrared cameras are available', { label: track.label });
    stream = await request(other.deviceId);
    track = stream.getVideoTracks()[0];
  }
  const label = track.label;
  return {
    stream,
    track,
    settings: track.getSettings(),
    label,
    virtualCamera: isVirtualCameraLabel(label),
    measuredFps: (video, windowMs = 1000) =>
      new Promise<number>((resolve) => {
        if (typeof video.requestVideoFrameCallback !== 'function') {
          resolve(track.getSettings().frameRate ?? NaN);
          return;
        }
        let first = -1;
        let frames = 0;
        const tick = (now: number) => {
          if (first < 0) first = now;
          else frames++;
          if (now - first >= windowMs) resolve((frames * 1000) / (now - first));
          else video.requestVideoFrameCallback(tick);
        };
        video.requestVideoFrameCallback(tick);
      }),
    stop: () => stream.getTracks().forEach((t) => t.stop()),
  };
}
