// Builds the committed bundles in dist/ with @vercel/ncc: one bundle per entry point, each in its own folder
// so code-split chunks never collide, plus the two files action.yml names (dist/index.js, dist/post.js).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

const entries = {
  main: 'src/main.ts',
  post: 'src/post.ts',
  cli: 'src/cli.ts',
  // The report parser's worker thread (src/report/parse-off-thread.ts), copied next to each bundle below.
  'parse-worker': 'src/report/parse-worker.ts',
};
const only = process.argv.slice(2);

rmSync('dist', { recursive: true, force: only.length === 0 });
for (const [name, source] of Object.entries(entries)) {
  // The worker goes into every bundle's folder, so it is built whenever any bundle is.
  if (only.length > 0 && !only.includes(name) && name !== 'parse-worker') continue;
  const started = Date.now();
  rmSync(`dist/${name}`, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      'node_modules/@vercel/ncc/dist/ncc/cli.js',
      'build',
      source,
      '-o',
      `dist/${name}`,
      '--source-map',
      '--license',
      'licenses.txt',
      '--quiet',
      '--target',
      'es2022',
    ],
    { stdio: 'inherit' },
  );
  console.log(`dist/${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
mkdirSync('dist', { recursive: true });
writeFileSync('dist/package.json', '{ "type": "module" }\n');
writeFileSync(
  'dist/index.js',
  "// The action's main step (action.yml: runs.main). Built by npm run package.\nimport './main/index.js';\n",
);
writeFileSync(
  'dist/post.js',
  "// The action's post step (action.yml: runs.post). Built by npm run package.\nimport './post/index.js';\n",
);
// Each bundle starts its report-parsing worker from its own folder (new URL('./parse-worker.js', import.meta.url)).
// Its own build folder is only a step on the way: removed, so one copy per bundle is all dist/ holds.
for (const name of ['main', 'post', 'cli'])
  if (existsSync(`dist/${name}`)) copyFileSync('dist/parse-worker/index.js', `dist/${name}/parse-worker.js`);
rmSync('dist/parse-worker', { recursive: true, force: true });
