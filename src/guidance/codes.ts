// The closed set of guidance codes, with a default plain-language message for each (written to be read aloud by a
// screen reader: an instruction, not a diagnosis) and a severity: `block` = the capture cannot proceed while it is
// raised; `warn` = the capture can go on but quality suffers.

export type GuidanceCode =
  | 'no-face' // no face detected
  | 'multiple-faces' // more than one face large enough to matter
  | 'face-too-small' // inter-eye distance below the minimum: too far from the camera
  | 'face-too-close' // face taller than the frame allows, or cut by the frame edge while large
  | 'face-off-center' // face centre far from the frame centre, or partly outside the frame
  | 'face-not-frontal' // yaw / pitch / roll beyond the frontal limits
  | 'too-dark' // face luminance too low, or too much of it clipped to black
  | 'too-bright' // face luminance too high, or too much of it clipped to white
  | 'backlit' // face much darker than its surround (window behind the person)
  | 'uneven-light' // one side of the face much darker than the other
  | 'color-cast' // face colour far from any natural skin tone (coloured light)
  | 'blurry' // face region out of focus
  | 'focus-unstable' // sharpness coming and going over the last seconds (lens hunting)
  | 'background-motion' // something moving behind the person (residual background flow)
  | 'camera-shake' // the whole image moving (hand-held camera)
  | 'eyes-occluded' // something over the eyes (hand, hair, object)
  | 'mouth-occluded' // something over the mouth (mask, hand)
  | 'face-occluded' // something over the lower face: a hand on the chin or jaw (texture far above the session's own)
  | 'sunglasses' // dark, uniform lenses over both eyes
  | 'glasses-glare' // specular reflections on glasses over the eyes
  | 'eye-hair-strand' // a strand of hair across an eye (FV-07)
  | 'lighting-changed' // the light level changed during the capture
  | 'low-frame-rate' // measured frame rate below the minimum
  | 'low-resolution'; // frame smaller than the minimum resolution

export type GuidanceSeverity = 'block' | 'warn';

export interface GuidanceCodeInfo {
  severity: GuidanceSeverity;
  /** Default English message for the person in front of the camera. */
  message: string;
}

export const GUIDANCE: Readonly<Record<GuidanceCode, GuidanceCodeInfo>> = {
  'no-face': { severity: 'block', message: 'Place your face in front of the camera.' },
  'multiple-faces': { severity: 'block', message: 'Make sure only your face is in view.' },
  'face-too-small': { severity: 'block', message: 'Move closer to the camera.' },
  'face-too-close': { severity: 'block', message: 'Move back a little from the camera.' },
  'face-off-center': { severity: 'block', message: 'Move your face to the centre of the picture.' },
  'face-not-frontal': { severity: 'block', message: 'Look straight at the camera.' },
  'too-dark': { severity: 'block', message: 'Move to a brighter place.' },
  'too-bright': { severity: 'block', message: 'Move to a place with softer light.' },
  backlit: { severity: 'block', message: 'The light is behind you. Turn to face the light.' },
  'uneven-light': { severity: 'warn', message: 'One side of your face is in shadow. Face the light evenly.' },
  'color-cast': { severity: 'warn', message: 'Coloured light is on your face. Use white light if you can.' },
  blurry: { severity: 'block', message: 'The picture is blurry. Clean the camera lens and hold still.' },
  'focus-unstable': { severity: 'block', message: 'The camera keeps losing focus. Hold still and keep your distance steady.' },
  'background-motion': { severity: 'block', message: 'Something is moving behind you. Find a still background.' },
  'camera-shake': { severity: 'warn', message: 'Hold the camera steady.' },
  'eyes-occluded': { severity: 'block', message: 'Make sure nothing covers your eyes.' },
  'mouth-occluded': { severity: 'block', message: 'Make sure nothing covers your mouth.' },
  'face-occluded': { severity: 'block', message: 'Move your hand away from your face.' },
  sunglasses: { severity: 'block', message: 'Please take off your sunglasses.' },
  'glasses-glare': { severity: 'warn', message: 'Your glasses reflect the light. Tilt them slightly or take them off.' },
  'eye-hair-strand': { severity: 'block', message: 'Move your hair away from your eyes.' },
  'lighting-changed': { severity: 'block', message: 'The light changed. Keep the lighting steady.' },
  'low-frame-rate': { severity: 'block', message: 'The camera is too slow. Close other apps or use another camera.' },
  'low-resolution': { severity: 'block', message: 'The camera resolution is too low. Use a better camera.' },
};

/** Every code, in a stable order (the order above). */
export const GUIDANCE_CODES = Object.keys(GUIDANCE) as GuidanceCode[];

/** Why a frame was left out of the challenge analysis. */
export type SkipReason =
  | 'low-entropy' // almost no information in the frame (covered lens, black or blown-out frame)
  | 'blur-spike' // this frame is much blurrier than the frames around it (motion blur)
  | 'flicker'; // this frame's brightness jumps away from its neighbours (flicker, exposure jump)
