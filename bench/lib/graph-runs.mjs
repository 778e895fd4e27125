// One model run on raw input data, as the "same graphs alone" rows time it on each engine: ORT (a new input tensor
// per call over the given data) and tfjs (tensor in, every output read back, all disposed). Shared by
// models.bench.mjs and lib/models-cpu.mjs so both time the same thing.

/** One ORT session run on `data` shaped `shape` (first input). */
export const ortRun = (ort, session, data, shape) => session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, shape) });

/** One tfjs graph-model run on `data` shaped `shape`, waiting for every output's data, then freeing the tensors. */
export async function tfRun(tf, model, data, shape) {
  const x = tf.tensor(data, shape);
  const out = model.execute(x);
  const outs = Array.isArray(out) ? out : [out];
  for (const t of outs) await t.data();
  tf.dispose([x, ...outs]);
}
