// "Builds" the app: copies src/ to dist/ and stamps a version file, as a real build step would emit output.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
cpSync('src', 'dist', { recursive: true });
writeFileSync('dist/BUILD_INFO', `built ${new Date().toISOString()} by node ${process.version}\n`);
console.log('built dist/');
