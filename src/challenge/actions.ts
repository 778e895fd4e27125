// The challenge actions and how "left" and "right" map to the image.
//
// `turn-left` means the person's OWN left. On an unmirrored frame (what a camera delivers: the person faces the
// camera, so their left side appears on the image's right) turning to their left moves the nose toward the image's
// right, which is positive yaw (src/geometry/pose.ts). On a mirrored frame (a selfie preview flipped horizontally
// before analysis) the same movement moves the nose toward the image's left: negative yaw. Tell the session which kind
// of frames it analyses with the `mirrored` option; flipping only the on-screen preview does not change the frames.

export type ChallengeAction = 'blink' | 'turn-left' | 'turn-right' | 'mouth-open' | 'nod' | 'smile';

export const CHALLENGE_ACTIONS: readonly ChallengeAction[] = ['blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile'];

/** Default prompt for each action, for screen and screen reader. */
export const ACTION_PROMPTS: Readonly<Record<ChallengeAction, string>> = {
  blink: 'Blink slowly once.',
  'turn-left': 'Turn your head to your left and hold.',
  'turn-right': 'Turn your head to your right and hold.',
  'mouth-open': 'Open your mouth.',
  nod: 'Nod your head once.',
  smile: 'Smile.',
};

/**
 * Sign of the yaw change (in the pose convention: + = nose toward the image's right) that a turn produces.
 * turn-left on unmirrored frames: +1; on mirrored frames: -1. Opposite for turn-right.
 */
export function turnYawSign(action: 'turn-left' | 'turn-right', mirrored: boolean): 1 | -1 {
  const left = action === 'turn-left' ? 1 : -1;
  return (mirrored ? -left : left) as 1 | -1;
}

export function isChallengeAction(x: unknown): x is ChallengeAction {
  return typeof x === 'string' && (CHALLENGE_ACTIONS as readonly string[]).includes(x);
}
