#!/usr/bin/env node
// The public surface as API Extractor reports it, one report per package entry (api/*.api.md, committed), from the
// declarations `tsc -p tsconfig.build.json` emits into dist/types. A change to what livecheck exports then shows in
// review as a change to these files.
//
//   node tools/api-report.mjs          check: exit 1 when a report differs from the committed one (CI)
//   node tools/api-report.mjs --write  update the reports
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');

const ENTRIES = [
  { name: 'livecheck', types: 'dist/types/index.d.ts' },
  { name: 'livecheck-server', types: 'dist/types/server/index.d.ts' },
  { name: 'livecheck-node', types: 'dist/types/node/index.d.ts' },
];

const quiet = { logLevel: 'none' };
let failed = false;
for (const entry of ENTRIES) {
  const main = join(root, entry.types);
  if (!existsSync(main)) {
    console.error(`api-report: ${entry.types} is missing: run \`npm run build:js\` first`);
    process.exit(2);
  }
  mkdirSync(join(root, '.cache', 'api'), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObjectFullPath: join(root, 'api', `${entry.name}.json`), // never read: names the config in messages
    packageJsonFullPath: join(root, 'package.json'),
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: main,
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'ESNext',
            moduleResolution: 'bundler',
            lib: ['ES2022', 'DOM', 'DOM.Iterable', 'WebWorker.ImportScripts'],
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          include: [join(root, 'dist', 'types')],
        },
      },
      apiReport: { enabled: true, reportFileName: `${entry.name}.api.md`, reportFolder: join(root, 'api'), reportTempFolder: join(root, '.cache', 'api') },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        // the report lists what is reachable; release tags and TSDoc style are not used in this project
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': quiet,
          'ae-forgotten-export': quiet,
          'ae-internal-missing-underscore': quiet,
          'ae-unresolved-link': quiet,
          'ae-undocumented': quiet,
        },
        tsdocMessageReporting: { default: quiet },
      },
    },
  });
  const result = Extractor.invoke(config, {
    localBuild: write,
    showVerboseMessages: false,
    messageCallback: (m) => {
      if (m.logLevel === 'none') m.handled = true;
    },
  });
  if (!result.succeeded || (!write && result.apiReportChanged)) {
    failed = true;
    console.error(`api-report: ${entry.name}: ${result.apiReportChanged ? 'the public API changed: review it and run `npm run api:report -- --write`' : `${result.errorCount} error(s)`}`);
  } else {
    console.log(`api-report: ${entry.name}: ${write && result.apiReportChanged ? 'updated' : 'unchanged'}`);
  }
}

// the README's API section states the root's size: names, and how many of them are runtime values
const report = readFileSync(join(root, 'api', 'livecheck.api.md'), 'utf8');
const exported = [...report.matchAll(/^export (declare )?(abstract )?(class|const|function|interface|type|enum|let|namespace) /gm)];
const values = exported.filter((m) => ['class', 'const', 'function', 'enum', 'let', 'namespace'].includes(m[3])).length;
const count = `<!-- api:count -->${exported.length} names, ${values} runtime values<!-- /api:count -->`;
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = readme.replace(/<!-- api:count -->.*?<!-- \/api:count -->/, count);
if (updated !== readme) {
  if (write) {
    writeFileSync(readmePath, updated);
    console.log(`api-report: README root export count updated: ${exported.length} names, ${values} runtime values`);
  } else {
    failed = true;
    console.error(`api-report: README.md states another root export count than the report (${exported.length} names, ${values} runtime values): run \`npm run api:report\``);
  }
}
process.exit(failed ? 1 : 0);
