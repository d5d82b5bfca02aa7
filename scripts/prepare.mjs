// Makes a fresh checkout runnable: installs dependencies from the lockfile when they are missing or
// stale, and builds src/ into dist/ when the sources changed. Used by `npm start`, `npm test`, admin.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) {
  run('npm ci --no-audit --no-fund --loglevel=error');
}

if (process.argv.includes('--build')) {
  const stamp = path.join(root, 'dist', '.built');
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (mtime(stamp) < Math.max(newest(path.join(root, 'src')), mtime(path.join(root, 'tsconfig.build.json')))) {
    run('npx tsc -p tsconfig.build.json');
    writeFileSync(stamp, new Date().toISOString() + '\n');
  }
}
