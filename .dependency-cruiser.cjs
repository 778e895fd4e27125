// The layering of src/ (issue 12 s3), checked by `npm run check:deps` (dependency-cruiser).
//
// Lowest first; a module may import its own layer and the layers below it, never one above:
//   base      src/types.ts, src/errors.ts, src/image.ts (any file at the root but index.ts), src/util/
//   quality   src/quality/ (the AssemblyScript quality kernels' wrapper) and src/nn/ (the landmark runtime)
//   face      src/face/, src/match/
//   geometry  src/geometry/
//   guidance  src/guidance/
//   challenge src/challenge/
//   decision  src/decision/, src/policy/
//   attempt   src/attempt/, src/evidence/
//   engine    src/engine/
//   verify    src/verify/ (the server's verification of a capture, shared by the server, Node and CLI hosts)
//   protocol  src/protocol/ (the worker's wire contract, shared by the page and the workers)
//   service   src/service/ (the verification service's session API and stores, shared by the server, Node and CLI hosts)
//   hosts     src/browser/, src/worker/, src/server/, src/node/, src/cli/ and the package entry src/index.ts
// Hosts never import each other (src/cli/ may import src/node/); `node:*` builtins only in src/node/ and src/cli/;
// no cycles, type-only imports included; src/ never imports test/ or tools/.
//
// Parser: TypeScript 7 has no JS API, and dependency-cruiser only uses `typescript` < 7, so .ts files are parsed
// with @swc/core (`parser: 'swc'`). swc keeps every import declaration, `import type` included, so the cycle rule
// sees type-only edges too. dependency-cruiser resolves TS's `./x.js` specifiers to `./x.ts` itself.

const LAYERS = [
  // every file at the root of src/ but the package entry: types.ts, errors.ts, image.ts, and any added later
  { name: 'base', path: ['^src/(?!index\\.ts$)[^/]+$', '^src/util/'] },
  { name: 'quality', path: ['^src/quality/', '^src/nn/'] },
  { name: 'face', path: ['^src/face/', '^src/match/'] },
  { name: 'geometry', path: ['^src/geometry/'] },
  { name: 'guidance', path: ['^src/guidance/'] },
  { name: 'challenge', path: ['^src/challenge/'] },
  { name: 'decision', path: ['^src/(decision|policy)/'] },
  { name: 'attempt', path: ['^src/(attempt|evidence)/'] },
  { name: 'engine', path: ['^src/engine/'] },
  { name: 'verify', path: ['^src/verify/'] },
  { name: 'protocol', path: ['^src/protocol/'] },
  { name: 'service', path: ['^src/service/'] },
  { name: 'hosts', path: ['^src/(browser|worker|server|node|cli)/', '^src/index\\.ts$'] },
];

const HOSTS = ['browser', 'worker', 'server', 'node', 'cli'];
/** Hosts a host may import besides itself. */
const HOST_ALLOWED = { cli: ['node'] };

const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const allowed = LAYERS.slice(0, i + 1).map((l) => l.name);
  return {
    name: `layer-${layer.name}-imports-up`,
    comment: `${layer.name} may import only ${allowed.join(', ')}`,
    severity: 'error',
    from: { path: layer.path },
    to: { path: LAYERS.slice(i + 1).flatMap((l) => l.path) },
  };
});

const hostRules = HOSTS.map((host) => {
  const others = HOSTS.filter((h) => h !== host && !(HOST_ALLOWED[host] ?? []).includes(h));
  return {
    name: `host-${host}-imports-host`,
    comment: `src/${host}/ is a host: it may not import ${others.map((h) => `src/${h}/`).join(', ')}`,
    severity: 'error',
    from: { path: `^src/${host}/` },
    to: { path: `^src/(${others.join('|')})/` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    ...hostRules,
    {
      name: 'module-outside-layers',
      comment: 'every module of src/ belongs to a layer: a new folder goes into LAYERS before anything imports it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: LAYERS.flatMap((l) => l.path) },
    },
    {
      name: 'node-builtin-outside-node',
      comment: 'node:* builtins only in src/node/ and src/cli/: the rest runs in browsers and workers',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(node|cli)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      comment: 'no cycles, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-imports-test-or-tools',
      comment: 'the library never depends on its tests or its build tools',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|tools)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve hides an edge from every rule above',
      severity: 'error',
      from: { path: '^src/' },
      // except the package's own `imports` map: #read-model is src/face/read-model.ts by default and
      // src/node/read-model.ts under the `node` condition (the Node host's substitute), both checked as files
      to: { couldNotResolve: true, pathNot: '^#read-model$' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
