// The one table of FaceMesh (468 + iris) and iris-model landmark indices: every layer that reads a landmark by index
// (the face crop, the geometry, the face match, the motion signal, the evidence) takes it from here. "Right"/"left" are the subject's own sides as
// FaceMesh labels them on an unmirrored image (index 33 is the right eye's outer corner, seen on the image's left).
// On a mirrored (selfie-preview) image the model labels what it sees, so the labels follow the mirror image.

export const MESH_POINTS = 468;
/** Mesh + 5 iris points per eye (right eye first: centre, then 4 contour points). */
export const MESH_WITH_IRIS_POINTS = 478;
/** Points the iris model returns per eye: its eye contour (lids and brow) and its iris (centre + 4). */
export const EYE_CONTOUR_POINTS = 71;
export const IRIS_POINTS = 5;
/** Eye-contour points the geometry reads per eye (lower lid 0..8, upper lid 9..15): the ones the evidence keeps. */
export const LID_CONTOUR_POINTS = 16;

export const RIGHT_EYE = {
  outer: 33,
  inner: 133,
  upperOuter: 160,
  upperInner: 158,
  lowerOuter: 144,
  lowerInner: 153,
  irisCenter: 468,
  irisContour: [469, 470, 471, 472] as const,
} as const;

export const LEFT_EYE = {
  outer: 263,
  inner: 362,
  upperOuter: 387,
  upperInner: 385,
  lowerOuter: 373,
  lowerInner: 380,
  irisCenter: 473,
  irisContour: [474, 475, 476, 477] as const,
} as const;

export const MOUTH = {
  rightCorner: 61,
  leftCorner: 291,
  upperInner: 13,
  lowerInner: 14,
  upperOuter: 0,
  lowerOuter: 17,
} as const;

export const FACE = {
  foreheadTop: 10,
  chin: 152,
  noseTip: 1,
  midEyes: 168,
  rightContour: 234,
  leftContour: 454,
} as const;

/**
 * The mesh points an evidence frame record keeps of the client's face (eye corners and lids, mouth corners and lips,
 * nose tip, chin, forehead, face sides): enough for the server to compare the client's view with its own.
 */
export const EVIDENCE_POINTS: readonly number[] = [
  RIGHT_EYE.outer,
  RIGHT_EYE.inner,
  RIGHT_EYE.upperOuter,
  RIGHT_EYE.lowerOuter,
  LEFT_EYE.outer,
  LEFT_EYE.inner,
  LEFT_EYE.upperOuter,
  LEFT_EYE.lowerOuter,
  MOUTH.rightCorner,
  MOUTH.leftCorner,
  MOUTH.upperInner,
  MOUTH.lowerInner,
  FACE.noseTip,
  FACE.chin,
  FACE.foreheadTop,
  FACE.rightContour,
  FACE.leftContour,
];

export type EyeIndices = typeof RIGHT_EYE | typeof LEFT_EYE;

/** Inner-lip mid points and mouth corners: the mouth centre of the face-match alignment. */
export const MOUTH_CENTRE: readonly number[] = [MOUTH.upperInner, MOUTH.lowerInner, MOUTH.rightCorner, MOUTH.leftCorner];

/** FaceMesh points that stay put under expressions: forehead, nose line and wings, eye corners, cheeks, face sides. */
export const RIGID_LANDMARKS: readonly number[] = [
  10,
  151,
  9,
  109,
  338,
  67,
  297, // forehead
  168,
  6,
  197,
  195,
  5,
  4,
  1,
  98,
  327, // nose bridge to tip, alar wings
  33,
  133,
  362,
  263, // eye corners
  234,
  454,
  127,
  356,
  93,
  323,
  132,
  361, // face sides at ear and cheek level
  50,
  280,
  116,
  345,
  123,
  352, // cheeks, cheekbones
];

/**
 * Left/right pairs among the named points (and the canonical-face points): mirroring an image swaps these labels.
 * A full 468-point mirror map needs the measured canonical mesh; these pairs cover everything the geometry reads.
 */
export const MIRROR_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [33, 263],
  [133, 362],
  [160, 387],
  [158, 385],
  [144, 373],
  [153, 380],
  [468, 473],
  [469, 474],
  [470, 475],
  [471, 476],
  [472, 477],
  [61, 291],
  [78, 308],
  [234, 454],
  [127, 356],
  [205, 425],
  [98, 327],
  [70, 300],
  [105, 334],
];
