// ID photo match: align with our landmarks, describe with FaceRecognitionNet, compare (Euclidean), decide.
export { MATCH_SIZE, MATCH_TEMPLATE, alignmentPoints, alignToImage } from './align.js';
export { FaceRecognizer, DESCRIPTOR_LENGTH } from './recognizer.js';
export type { FaceRecognizerOptions } from './recognizer.js';
export { ChipCutter, chipTensor, chipRegion, eyeDistancePx, CHIP_BYTES } from './chip.js';
