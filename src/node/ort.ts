// Which onnxruntime a Node host runs the models on. A verification server wants onnxruntime-node (native CPU kernels:
// FaceRecognitionNet about 4x, FaceMesh about 1.7x faster than onnxruntime-web's wasm on one thread); it is an
// optional peer dependency, so without it everything still runs on onnxruntime-web.
import type { OrtModule } from '../face/models.js';

export type NodeOrtChoice = 'native' | 'wasm';

/** `native`: onnxruntime-node when it is installed, else onnxruntime-web. `wasm`: onnxruntime-web. */
export async function loadNodeOrt(choice: NodeOrtChoice = 'native'): Promise<OrtModule> {
  if (choice === 'native') {
    // a variable specifier: bundlers must not try to resolve the optional package
    const name = 'onnxruntime-node';
    const native = (await import(/* @vite-ignore */ name).catch(() => null)) as OrtModule | null;
    if (native) return native;
  }
  const ort = (await import('onnxruntime-web')) as OrtModule;
  ort.env.logLevel = 'error';
  return ort;
}
